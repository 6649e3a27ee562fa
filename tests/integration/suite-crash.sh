#!/usr/bin/env bash
# suite-crash.sh - SIGKILL the agent a few hundred times during a churn of policy changes;
# after each kill every profile must be complete and one of the two good versions, and a
# restart must converge (see crash.py). Each kill is one test, each convergence check one.
# Prints `N passed, N failed` last. KSCMP_CRASH_KILLS (default 300) sets the number of kills.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -x build/kscmp ]; then
	make --no-print-directory build/kscmp >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
exec timeout 300 python3 tests/integration/crash.py "$@"
