#!/usr/bin/env bash
# `make run`: the agent on examples/ with a kubelet root of its own, showing every profile of
# its first complete set (later writes are in its log). Edit a file in examples/ while it runs and watch the profile change; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${KSCMP_RUN_ROOT:-build/run/kubelet}
port=${KSCMP_RUN_PORT:-9750}
mkdir -p "$root"
# Something already listening there (a `make run` still running, say) would answer the
# readiness check below for an agent that could not start.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "make run: 127.0.0.1:$port is in use (another kscmp agent?): stop it, or pick another" \
        "port with KSCMP_RUN_PORT=N" >&2
    exit 1
fi
echo "== kscmp agent --local examples --kubelet-root $root --metrics-addr 127.0.0.1:$port"
build/kscmp agent --local examples --kubelet-root "$root" --metrics-addr "127.0.0.1:$port" &
agent=$!
trap 'kill -TERM $agent 2>/dev/null; wait $agent 2>/dev/null; exit 0' INT TERM
# An agent that stopped (a bad flag, a port taken meanwhile): its status, and never 0.
stop_if_gone() { kill -0 $agent 2>/dev/null || { wait $agent && exit 1 || exit $?; }; }
ready=
for _ in $(seq 1 100); do
    stop_if_gone
    curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { ready=1; break; }
    sleep 0.1
done
stop_if_gone
if [ -z "$ready" ]; then
    echo "make run: the agent is not ready after 10 s (its log is above): stopping it" >&2
    kill -TERM $agent
    wait $agent || true
    exit 1
fi
echo
for f in $(find "$root/seccomp/kscmp" -name '*.json' | sort); do
    echo "== $f"
    cat "$f"
    echo
done
cat <<MSG
== The agent keeps running: edit examples/*.yaml (for example delete the second policy of
   examples/20-merge.yaml) and the profile below $root/seccomp/kscmp changes within
   milliseconds. Metrics: curl http://127.0.0.1:$port/metrics  Stop: Ctrl-C.
MSG
if [ -n "${KSCMP_RUN_SECONDS:-}" ]; then
    sleep "$KSCMP_RUN_SECONDS"
    kill -TERM $agent
fi
wait $agent
