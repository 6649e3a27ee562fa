#!/usr/bin/env bash
# smoke.sh - checks that the real-cluster harness itself works: tools, a bare control plane,
# a kscmp.io CRD and object, ServiceAccount kubeconfigs whose rights come from RBAC only,
# an API server restart, etcd compaction, and a clean stop. No agent involved.
#
#   bash tests/e2e/smoke.sh        prints one line per check, then "N passed, N failed"
#
# The first run builds the tools (minutes, see tools.sh); after that it takes seconds.
# KSCMP_E2E_SMOKE_TIMEOUT (default 300) bounds everything after the tools are ready.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER=$HERE/cluster.sh
# shellcheck disable=SC1091 source=../lib/report.sh source-path=SCRIPTDIR
. "$HERE/../lib/report.sh"
DIR=
WATCHDOG=
NS=kscmp-smoke
# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$(tail -n 5 <<<"$out")"; fi
}
# expect NAME WANT CMD...: passes when CMD prints exactly WANT.
expect() {
	local name=$1 want=$2 out
	shift 2
	out=$("$@" 2>&1)
	if [ "$out" = "$want" ]; then ok "$name"; else bad "$name" "want: $want" "got:  $(tail -n 5 <<<"$out")"; fi
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	if [ -n "$DIR" ] && [ -d "$DIR" ]; then
		bash "$CLUSTER" stop "$DIR" || bad "cleanup: cluster.sh stop $DIR"
	fi
	[ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
	report_finish "$rc"
}
trap finish EXIT
trap 'bad "interrupted or timed out"; exit 1' INT TERM

# 1. Tools (the only step that may take minutes, the first time).
if ! env_lines=$(bash "$HERE/tools.sh" env); then
	bad "tools.sh builds kube-apiserver, etcd and helm"
	exit 1
fi
eval "$env_lines"
ok "tools.sh: kube-apiserver, etcd, helm ready in $KSCMP_E2E_BIN"

# Watchdog: TERM to this script when time is up; killed (with its sleep) by finish.
report_watchdog "${KSCMP_E2E_SMOKE_TIMEOUT:-300}"

SCRATCH=$(mktemp -d /tmp/kscmp-smoke.XXXXXX)
DIR=$(mktemp -d /tmp/kscmp-e2e.XXXXXX)
t0=$EPOCHREALTIME
if ! bash "$CLUSTER" start "$DIR"; then
	bad "cluster.sh start"
	exit 1
fi
ok "cluster.sh start ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s)"
# shellcheck disable=SC1091
. "$DIR/env"
k() { kubectl --request-timeout=20s "$@"; }

expect "/readyz says ok" ok k get --raw /readyz
check "admin is in system:masters" bash -c "kubectl --request-timeout=20s auth whoami | grep -q system:masters"

# 2. A kscmp.io CRD and one object.
cat >"$SCRATCH/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: seccomppolicies.kscmp.io
spec:
  group: kscmp.io
  scope: Namespaced
  names:
    plural: seccomppolicies
    singular: seccomppolicy
    kind: SeccompPolicy
    shortNames: [kscmp]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
EOF
cat >"$SCRATCH/policy.yaml" <<EOF
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata:
  name: web
  namespace: $NS
spec:
  selector:
    matchLabels: {app: web}
  seccomp:
    syscalls: [read, write, exit_group]
    action: Allow
EOF
check "CRD seccomppolicies.kscmp.io applied" k apply -f "$SCRATCH/crd.yaml"
check "CRD is Established" k wait --for condition=Established --timeout=30s crd/seccomppolicies.kscmp.io
check "namespace $NS created (no ServiceAccount admission needed)" k create namespace "$NS"
check "SeccompPolicy created" k apply -f "$SCRATCH/policy.yaml"
expect "kubectl get seccomppolicy shows it" "web Allow" \
	k -n "$NS" get seccomppolicy web -o 'jsonpath={.metadata.name} {.spec.seccomp.action}'
expect "short name kscmp lists it" web k -n "$NS" get kscmp -o 'jsonpath={.items[*].metadata.name}'

# 3. ServiceAccount kubeconfigs: authenticated, but no rights without RBAC.
SA=$SCRATCH/agent.kubeconfig
check "cluster.sh sa-kubeconfig mints a token" bash "$CLUSTER" sa-kubeconfig "$DIR" "$NS" kscmp-agent "$SA" 10m
expect "SA kubeconfig (inline token) authenticates as the SA" "system:serviceaccount:$NS:kscmp-agent" \
	k --kubeconfig "$SA" auth whoami -o 'jsonpath={.status.userInfo.username}'
expect "SA without RBAC: can-i list seccomppolicies says no" no \
	k --kubeconfig "$SA" auth can-i list seccomppolicies.kscmp.io -n "$NS"
expect "SA without RBAC (tokenFile variant): can-i watch pods says no" no \
	k --kubeconfig "$SA.tokenfile" auth can-i watch pods --all-namespaces
forbidden() { local out; ! out=$(k "$@" 2>&1) && grep -q Forbidden <<<"$out"; }
check "SA without RBAC: a real list is Forbidden" forbidden --kubeconfig "$SA" -n "$NS" get seccomppolicies
check "Role and RoleBinding for the SA" bash -c "
	kubectl --request-timeout=20s -n $NS create role kscmp-read --verb=get,list,watch --resource=seccomppolicies.kscmp.io &&
	kubectl --request-timeout=20s -n $NS create rolebinding kscmp-read --role=kscmp-read --serviceaccount=$NS:kscmp-agent"
expect "SA with RBAC: can-i list seccomppolicies says yes" yes \
	k --kubeconfig "$SA" auth can-i list seccomppolicies.kscmp.io -n "$NS"
expect "SA with RBAC: still no for pods" no k --kubeconfig "$SA.tokenfile" auth can-i list pods -n "$NS"

# 4. A pod bound to a node stays Pending (no kubelet) and goes with a forced delete.
check "pod with spec.nodeName created" k -n "$NS" apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  nodeName: node-a
  containers:
  - name: c
    image: registry.invalid/none:1
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: kscmp/$NS/web.json}
EOF
expect "the pod stays Pending" Pending k -n "$NS" get pod web-1 -o 'jsonpath={.status.phase}'
check "forced delete removes it" k -n "$NS" delete pod web-1 --grace-period=0 --force --wait=true --timeout=20s

# 5. API server restart: state kept, an old watch gets 410 Gone; etcd compaction.
old_rv=$(k -n "$NS" get seccomppolicy web -o 'jsonpath={.metadata.resourceVersion}')
k -n "$NS" annotate seccomppolicy web smoke/touched=1 >/dev/null 2>&1
check "cluster.sh restart-apiserver" bash "$CLUSTER" restart-apiserver "$DIR"
# shellcheck disable=SC1091
. "$DIR/env"
expect "the policy survived the restart" web k -n "$NS" get kscmp web -o 'jsonpath={.metadata.name}'
check "a watch from before the restart gets 410 Gone" bash -c "
	kubectl --request-timeout=20s get --raw '/apis/kscmp.io/v1/namespaces/$NS/seccomppolicies?watch=1&resourceVersion=$old_rv&timeoutSeconds=5' |
	grep -q '\"code\":410'"
check "cluster.sh compact" bash -c "rev=\$(bash '$CLUSTER' compact '$DIR') && [ \"\$rev\" -gt '$old_rv' ]"
check "the API server still answers after compaction" k -n "$NS" get kscmp web

# 6. helm runs.
check "helm version" bash -c "helm version --short | grep -q '^v3\.'"

# 7. Stop: the processes it started are gone, the folder too.
pids="$KSCMP_E2E_ETCD_PID $KSCMP_E2E_APISERVER_PID"
d=$DIR
if bash "$CLUSTER" stop "$d"; then
	DIR=
	gone=1
	for p in $pids; do [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$d" && gone=0; done
	if [ $gone = 1 ] && [ ! -e "$d" ]; then
		ok "cluster.sh stop: processes $pids gone, $d removed"
	else
		bad "cluster.sh stop left something behind"
	fi
else
	bad "cluster.sh stop"
fi
