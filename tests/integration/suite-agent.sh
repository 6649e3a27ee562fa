#!/usr/bin/env bash
# suite-agent.sh - the real `kscmp agent --local` process: files on disk, signals, endpoints,
# full disk (a tmpfs kubelet root; skipped when mount is not allowed), links, tampering.
# Prints `N passed, N failed` last. Needs build/kscmp (and uses build/tools/seccomp_load
# when it exists).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -x build/kscmp ]; then
	make --no-print-directory build/kscmp >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
exec timeout 600 python3 tests/integration/test_agent.py "$@"
