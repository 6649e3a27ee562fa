#!/usr/bin/env bash
# suite-recording.sh - SeccompRecordings against a real API server (cluster.sh) with the real
# eBPF recorder and three agents: tests/e2e/recording_e2e.py says what is checked.
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
	if [ -n "$SCRATCH" ]; then
		# What the Python side could not clean up if it was killed: its agents (by PID), the
		# cluster (by its recorded PIDs), the bpffs mount.
		if [ -f "$SCRATCH/pids" ]; then
			while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$SCRATCH/pids"
		fi
		[ -f "$SCRATCH/cluster/env" ] && bash "$HERE/cluster.sh" stop "$SCRATCH/cluster" >/dev/null 2>&1
		mountpoint -q "$SCRATCH/bpffs" 2>/dev/null && umount "$SCRATCH/bpffs"
		if [ "${KSCMP_E2E_KEEP:-0}" = 1 ]; then echo "kept $SCRATCH"; else rm -rf "$SCRATCH"; fi
	fi
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
SCRATCH=$(mktemp -d /tmp/kscmp-recording-suite.XXXXXX)
timeout "${KSCMP_E2E_SUITE_TIMEOUT:-600}" python3 "$HERE/recording_e2e.py" --scratch "$SCRATCH" &
PY=$!
wait "$PY"
rc=$?
PY=
exit $rc
