#!/usr/bin/env bash
# suite-kubectl.sh - `kubectl kscmp explain pod` and `kubectl kscmp status` against a real API
# server (cluster.sh: etcd + kube-apiserver) with an agent for node-a; the commands run with
# a read-only ServiceAccount (tests/e2e/kubectl_kscmp.py says what is checked).
# Closes with "N passed, N failed". Tools missing (no Go to build them) is a failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCRATCH=
PY=

finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$PY" ] && kill -0 "$PY" 2>/dev/null; then
		kill -TERM "$PY" 2>/dev/null
		wait "$PY" 2>/dev/null
	fi
	# kubectl_kscmp.py stops its cluster; if it was killed, stop it here (by its recorded PIDs).
	if [ -n "$SCRATCH" ] && [ -f "$SCRATCH/cluster/env" ]; then
		bash "$HERE/cluster.sh" stop "$SCRATCH/cluster" >/dev/null 2>&1
	fi
	[ -n "$SCRATCH" ] && rm -rf "$SCRATCH"
	exit $rc
}
trap finish EXIT
trap 'exit 1' INT TERM

if ! env_lines=$(bash "$HERE/tools.sh" env); then
	echo "FAIL tests/e2e/tools.sh: kube-apiserver and etcd could not be built or found"
	echo "0 passed, 1 failed"
	exit 1
fi
eval "$env_lines"
if ! make -C "$ROOT" --no-print-directory build/kscmp >/dev/null; then
	echo "FAIL make build/kscmp"
	echo "0 passed, 1 failed"
	exit 1
fi
SCRATCH=$(mktemp -d /tmp/kscmp-kubectl-suite.XXXXXX)
timeout "${KSCMP_E2E_SUITE_TIMEOUT:-600}" python3 "$HERE/kubectl_kscmp.py" --scratch "$SCRATCH" &
PY=$!
wait "$PY"
rc=$?
PY=
exit $rc
