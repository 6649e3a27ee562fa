#!/usr/bin/env bash
# suite-recorder.sh - the cluster recorder's eBPF program and pins on the real kernel, with
# real processes in kubelet-shaped cgroups (tests/record/recorder_suite.py says what is
# checked). Needs root. Closes with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
if ! make --no-print-directory build/tools/recorder_probe >/dev/null; then
    echo "FAIL make build/tools/recorder_probe"
    echo "0 passed, 1 failed"
    exit 1
fi
exec python3 tests/record/recorder_suite.py
