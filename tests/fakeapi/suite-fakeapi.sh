#!/usr/bin/env bash
# suite-fakeapi.sh - `kscmp agent` against tests/fakeapi/fakeapi.py, an API server that fails on
# cue (404 on a relist, 500, bodies that are not JSON, slow answers, huge pods and watch
# events). Prints `N passed, N failed` last. Needs build/kscmp and openssl.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -x build/kscmp ] || [ ! -x build/kscmp-shared ] || [ ! -f build/tools/failalloc.so ]; then
	make --no-print-directory build/kscmp build/kscmp-shared build/tools/failalloc.so >&2 ||
		{ echo "0 passed, 1 failed"; exit 1; }
fi
exec timeout 900 python3 tests/fakeapi/test_fakeapi.py "$@"
