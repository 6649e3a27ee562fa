#!/usr/bin/env bash
# suite-libseccomp-build.sh - the libseccomp build/kscmp links (deps/build.sh: Debian's source,
# patched to build large filters in linear time) makes the same programs as Debian's library,
# which runc and crun use: tests/proof/libseccomp_build.py. Skipped when build/kscmp is linked
# on Debian's shared libraries (then the agent proves with Debian's libseccomp itself).
# Prints `N passed, N failed` last.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
make --no-print-directory build/kscmp >&2 || { echo "0 passed, 1 failed"; exit 1; }
if [ "$(cat build/kscmp.link 2>/dev/null)" != static ]; then
	echo "skip the comparison: build/kscmp is linked on Debian's shared libraries (build/kscmp.link), so it proves with Debian's libseccomp"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
make --no-print-directory build/tools/bpf_export build/tools/bpf_export-agent >&2 ||
	{ echo "0 passed, 1 failed"; exit 1; }
exec timeout 1200 python3 tests/proof/libseccomp_build.py "$@"
