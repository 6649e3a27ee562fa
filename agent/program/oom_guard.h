/* oom_guard.h - jansson's and libseccomp's allocations, in every process but a proof worker:
 * when one gets no memory, the process says so and exits (status 1) instead of going on.
 *
 * Why: neither library can be trusted after an allocation failed. Debian's jansson 2.14 lexer
 * ignores a failure to grow the text it saves and then writes past a buffer (upstream issue
 * #362; deps/build.sh's jansson has it fixed, deps/patches/jansson-lex-save-oom.patch, but a
 * LINK=shared build has Debian's). libseccomp 2.5.4 can drop a rule, or
 * return part of a program, and say success (tests/unit/node/test_prover_oom.c: without the
 * worker's rule, a failed allocation gave a passing proof). Where memory runs out, an agent
 * that restarts is safe; one that goes on with a corrupted heap or a rule less is not. (In a
 * container the kernel's out-of-memory killer usually comes first: allocations fail under
 * RLIMIT_AS/RLIMIT_DATA or strict overcommit.)
 *
 * The proof workers put their own hooks in place of these (node/proof_arena.h): there a
 * failure is counted and the proof refused, and the worker goes on. Allocations made directly
 * with malloc() by kscmp's own code are unaffected: they report -ENOMEM as before.
 */
#ifndef KSCMP_OOM_GUARD_H
#define KSCMP_OOM_GUARD_H

#include <stddef.h>

/* Sets the hooks (libseccomp's only in the deps/build.sh build, which has them). */
void oom_guard_install(void);

/* The hooks themselves (exposed for tests). */
void *oom_guard_malloc(size_t size);
void *oom_guard_realloc(void *ptr, size_t size);

#endif
