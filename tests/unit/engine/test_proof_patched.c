/* test_proof_patched.c - the cases of test_proof.c on the libseccomp build/kscmp links
 * (deps/build.sh: Debian's source with deps/patches/libseccomp-*.patch), where the program is
 * exported into memory (seccomp_export_bpf_mem(), which test_export_mem checks there and
 * which Debian's 2.5.4 lacks: test_proof runs the memory-file path). The Makefile links the
 * patched archive; without one (make LINK=shared) this is test_proof again. */
#include "test_proof.c"
