#!/usr/bin/env bash
# The image's runtime root filesystem, built as the Containerfile builds it, runs the agent:
# no container engine here, so chroot stands in for one.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck disable=SC1091 source=../lib/report.sh source-path=SCRIPTDIR
. tests/lib/report.sh
root=$(mktemp -d)
trap 'kill $agent 2>/dev/null; rm -rf "$root"' EXIT
agent=
rfs=$root/rootfs
if bash tests/image/rootfs.sh build/kscmp "$rfs" >/dev/null; then ok "rootfs built"; else bad "rootfs.sh"; fi
# Only the binary and libraries: no shell, no package manager.
extra=$(find "$rfs" -type f ! -name '*.so*' ! -path '*/usr/bin/kscmp' ! -path '*/etc/passwd' ! -path '*/etc/group' | head -5)
[ -z "$extra" ] && ok "nothing but kscmp and its libraries" || bad "unexpected files: $extra"
if out=$(chroot "$rfs" /usr/bin/kscmp version 2>&1); then ok "kscmp starts in the rootfs ($out)"; else bad "kscmp does not start in the rootfs: $out"; fi
if chroot "$rfs" /usr/bin/kubectl-kscmp groups >/dev/null 2>&1; then ok "kubectl-kscmp name works"; else bad "kubectl-kscmp"; fi
# The agent from the rootfs, on the examples, writing into a kubelet root inside it.
mkdir -p "$rfs/examples" "$rfs/var/lib/kubelet"
cp examples/*.yaml "$rfs/examples/"
port=$((20000 + RANDOM % 20000))
chroot "$rfs" /usr/bin/kscmp agent --local /examples --kubelet-root /var/lib/kubelet \
    --metrics-addr "127.0.0.1:$port" >"$root/agent.log" 2>&1 &
agent=$!
ready=0
for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.1
done
[ $ready = 1 ] && ok "agent in the rootfs is ready" || bad "agent in the rootfs not ready: $(tail -5 "$root/agent.log")"
n=$(find "$rfs/var/lib/kubelet/seccomp/kscmp" -name '*.json' 2>/dev/null | wc -l)
[ "$n" -ge 3 ] && ok "agent in the rootfs wrote $n profiles" || bad "agent in the rootfs wrote $n profiles"
# Same bytes as the binary outside gives.
want=$(build/kscmp compile -f examples --pod examples --profile kscmp/demo/web.json 2>/dev/null)
got=$(cat "$rfs/var/lib/kubelet/seccomp/kscmp/demo/web.json" 2>/dev/null)
[ -n "$got" ] && [ "$want" = "$got" ] && ok "profile equals kscmp compile output" || bad "profile differs from kscmp compile"
kill -TERM $agent; wait $agent; rc=$?
[ $rc = 0 ] && ok "agent stops with 0 on SIGTERM" || bad "agent exit $rc on SIGTERM"
agent=
# The Containerfile uses this script and runs the agent by default.
grep -q 'tests/image/rootfs.sh' Containerfile && grep -q 'ENTRYPOINT \["/usr/bin/kscmp"\]' Containerfile &&
    grep -q 'CMD \["agent"\]' Containerfile && ok "Containerfile builds the same rootfs and runs the agent" ||
    bad "Containerfile does not match the rootfs build"
report_finish 0
