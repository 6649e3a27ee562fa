#!/usr/bin/env bash
# check-server.sh - the install objects against a real API server (tests/e2e/cluster.sh:
# etcd + kube-apiserver on 127.0.0.1, no kubelet, so no pod ever runs).
#
#   1. helm lint; `helm install` of charts/kscmp: the CRDs become Established, the agent's
#      objects exist, its ServiceAccount may do exactly what contract section 8 says
#      (kubectl auth can-i, yes and no); `helm upgrade`; `helm uninstall` removes the
#      agent's rights but keeps the CRDs.
#   2. `kubectl apply -f deploy/`, as the install docs say; a second time with
#      --dry-run=server; the same rights checks on what it made.
#   3. `helm template charts/kscmp | kubectl apply --dry-run=server` for several values.
#   4. Policies: every /work/shared/vectors/*/policies.yaml (their namespaces created first)
#      passes --dry-run=server, except the vectors the schemas refuse on purpose; every
#      tests/packaging/valid/ object is created; every tests/packaging/invalid/ manifest is
#      refused, for the reason its `# expect:` line names; unknown fields are never stored.
#   5. Status: the agent's merge patch on /status is accepted and shows in the printer
#      columns; a malformed status is refused; the agent cannot touch a spec.
#
# Prints one line per check and `N passed, N failed` last; exits 1 on any failure; stops the
# cluster and removes its temporary files whatever happens.
# Needs what tests/e2e/tools.sh builds (kube-apiserver, etcd, helm; Go to build them once),
# kubectl, curl, openssl and python3 with PyYAML.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG=$ROOT/tests/packaging
VECTORS=${KSCMP_VECTORS:-$(cd "$ROOT/.." && pwd)/shared/vectors}
AGENT=system:serviceaccount:kscmp-system:kscmp
# Vectors the CRD schemas refuse at admission (what the agent would otherwise put in status),
# with the words of the refusal.
declare -A SCHEMA_INVALID_VECTORS=(
	[18-args-bad-index]="should be less than or equal to 5"
	[19-unknown-action]='Unsupported value: "Permit"'
	[30-unknown-kind]='no matches for kind "SecompPolicy"'
)

PASS=0
FAIL=0
SKIP=0
pass() { PASS=$((PASS + 1)); echo "ok   $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
skip() { SKIP=$((SKIP + 1)); echo "skip $*"; }
short() { tr '\n' ' ' <<<"$1" | tail -c 400; }
finish() {
	if [ "$SKIP" -gt 0 ]; then echo "$PASS passed, $FAIL failed, $SKIP skipped"; else echo "$PASS passed, $FAIL failed"; fi
	[ "$FAIL" -eq 0 ]
	exit
}

# expect_ok NAME CMD...: CMD succeeds.
expect_ok() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name: $(short "$out")"; fi
}

# expect_refused NAME FRAGMENT CMD...: CMD fails, and its output contains FRAGMENT.
expect_refused() {
	local name=$1 frag=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name: accepted"
	elif [ -n "$frag" ] && ! grep -qF -- "$frag" <<<"$out"; then
		fail "$name: refused, but not with \"$frag\": $(short "$out")"
	else
		pass "$name"
	fi
}

# can / cannot VERB RESOURCE [FLAGS]: what the agent's ServiceAccount may do.
can() {
	local out
	# (kubectl warns, on stderr, when a namespace is set for a cluster-scoped resource.)
	if out=$(kubectl auth can-i --as="$AGENT" "$@" 2>&1) && grep -qx yes <<<"$out"; then
		pass "agent can $*"
	else
		fail "agent can $*: $(short "$out")"
	fi
}
cannot() {
	local out rc
	out=$(kubectl auth can-i --as="$AGENT" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^no' <<<"$out" && ! grep -qx yes <<<"$out"; then pass "agent cannot $*"; else fail "agent cannot $*: $(short "$out")"; fi
}

rights() {
	local ns=demo
	can get seccomppolicies.kscmp.io -n "$ns"
	can list seccomppolicies.kscmp.io --all-namespaces
	can watch seccomppolicies.kscmp.io --all-namespaces
	can get clusterseccomppolicies.kscmp.io
	can list clusterseccomppolicies.kscmp.io
	can watch clusterseccomppolicies.kscmp.io
	can list kubearmorseccomppolicies.security.kubearmor.com --all-namespaces
	can watch kubearmorseccomppolicies.security.kubearmor.com --all-namespaces
	can patch seccomppolicies.kscmp.io --subresource=status -n "$ns"
	can patch clusterseccomppolicies.kscmp.io --subresource=status
	can patch kubearmorseccomppolicies.security.kubearmor.com --subresource=status -n "$ns"
	can list pods --all-namespaces
	can watch pods --all-namespaces
	can get pods -n "$ns"
	can list namespaces
	can watch namespaces
	can get namespaces
	can create events -n "$ns"
	can patch events -n "$ns"
	can list events -n "$ns"
	cannot create pods -n "$ns"
	cannot delete pods -n "$ns"
	cannot patch pods -n "$ns"
	cannot create pods --subresource=exec -n "$ns"
	cannot get secrets -n kscmp-system
	cannot list secrets --all-namespaces
	cannot get configmaps -n kube-system
	cannot update configmaps -n kube-system
	cannot create seccomppolicies.kscmp.io -n "$ns"
	cannot patch seccomppolicies.kscmp.io -n "$ns"
	cannot delete seccomppolicies.kscmp.io -n "$ns"
	cannot update seccomppolicies.kscmp.io --subresource=status -n "$ns"
	cannot delete clusterseccomppolicies.kscmp.io
	cannot patch kubearmorseccomppolicies.security.kubearmor.com -n "$ns"
	cannot update namespaces
	can get nodes
	can patch nodes
	cannot list nodes
	cannot update nodes
	cannot delete nodes
	cannot patch nodes --subresource=status
	cannot delete events -n "$ns"
	cannot create events.events.k8s.io -n "$ns"
	cannot create serviceaccounts --subresource=token -n kscmp-system
	cannot create customresourcedefinitions.apiextensions.k8s.io
	cannot bind clusterroles.rbac.authorization.k8s.io
	cannot impersonate users
}

ns_ensure() {
	local n
	for n in "$@"; do
		kubectl get namespace "$n" >/dev/null 2>&1 || kubectl create namespace "$n" >/dev/null
	done
}

# The namespaces the objects of a YAML file live in.
namespaces_of() {
	python3 - "$1" <<'EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    for d in yaml.safe_load_all(f):
        ns = ((d or {}).get("metadata") or {}).get("namespace")
        if ns:
            print(ns)
EOF
}

# ------------------------------------------------------------------ set up

for t in kubectl python3 curl openssl; do
	command -v "$t" >/dev/null || { echo "check-server.sh: $t is needed" >&2; FAIL=1; finish; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "check-server.sh: python3 PyYAML is needed" >&2; FAIL=1; finish; }
if ! tools_env=$("$ROOT/tests/e2e/tools.sh" env); then
	fail "tests/e2e/tools.sh could not build kube-apiserver, etcd and helm"
	finish
fi
eval "$tools_env"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kscmp-packaging.XXXXXX")
CLUSTER=$WORK/cluster
mkdir -p "$CLUSTER"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	"$ROOT/tests/e2e/cluster.sh" stop "$CLUSTER" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HELM_CONFIG_HOME=$WORK/helm/config HELM_CACHE_HOME=$WORK/helm/cache HELM_DATA_HOME=$WORK/helm/data
if ! "$ROOT/tests/e2e/cluster.sh" start "$CLUSTER" 2>"$WORK/cluster-start.log"; then
	fail "cluster.sh start: $(short "$(tail -n 20 "$WORK/cluster-start.log")")"
	finish
fi
# shellcheck disable=SC1091
. "$CLUSTER/env"
pass "API server up ($KSCMP_E2E_SERVER)"

CHART=$ROOT/charts/kscmp

# ------------------------------------------------------------------ 1. the chart, for real

expect_ok "helm lint --strict charts/kscmp" helm lint --strict "$CHART"
expect_ok "helm lint --strict charts/kscmp (k0s kubelet root, ServiceMonitor)" \
	helm lint --strict "$CHART" --set kubeletRoot=/var/lib/k0s/kubelet \
	--set metrics.serviceMonitor.enabled=true
expect_refused "helm lint refuses a misspelt value" "kubeletroot" \
	helm lint --strict "$CHART" --set kubeletroot=/var/lib/kubelet

expect_ok "helm install kscmp charts/kscmp -n kscmp-system --create-namespace" \
	helm install kscmp "$CHART" -n kscmp-system --create-namespace
expect_ok "helm: the CRDs are Established" \
	kubectl wait --for condition=Established --timeout=60s \
	crd/seccomppolicies.kscmp.io crd/clusterseccomppolicies.kscmp.io \
	crd/kubearmorseccomppolicies.security.kubearmor.com
expect_ok "helm: DaemonSet, ServiceAccount, Service in kscmp-system" \
	kubectl -n kscmp-system get daemonset/kscmp serviceaccount/kscmp service/kscmp-metrics
expect_ok "helm: ClusterRole and ClusterRoleBinding" \
	kubectl get clusterrole/kscmp-agent clusterrolebinding/kscmp-agent
rights
kubectl label --overwrite namespace kscmp-system pod-security.kubernetes.io/enforce=baseline >/dev/null
if out=$(helm upgrade kscmp "$CHART" -n kscmp-system --set logFormat=json 2>&1); then
	pass "helm upgrade --set logFormat=json"
else
	fail "helm upgrade --set logFormat=json: $(short "$out")"
fi
if grep -q 'WARNING: namespace kscmp-system enforces Pod Security level "baseline"' <<<"$out"; then
	pass "helm notes warn when the namespace's Pod Security level forbids the agent"
else
	fail "helm notes warn about Pod Security: $(short "$out")"
fi
kubectl label namespace kscmp-system pod-security.kubernetes.io/enforce- >/dev/null
out=$(kubectl -n kscmp-system get daemonset kscmp -o jsonpath='{.spec.template.spec.containers[0].args}' 2>&1)
if [[ $out == *'--log-format=json'* ]]; then pass "helm upgrade changed the agent's args"; else fail "helm upgrade changed the agent's args: $out"; fi
expect_ok "helm uninstall" helm uninstall kscmp -n kscmp-system --wait
expect_ok "helm uninstall kept the CRDs (helm.sh/resource-policy: keep)" \
	kubectl get crd/seccomppolicies.kscmp.io crd/clusterseccomppolicies.kscmp.io \
	crd/kubearmorseccomppolicies.security.kubearmor.com
expect_refused "helm uninstall removed the DaemonSet" "NotFound" \
	kubectl -n kscmp-system get daemonset/kscmp
cannot list seccomppolicies.kscmp.io --all-namespaces

# ------------------------------------------------------------------ 2. deploy/, for real

expect_ok "kubectl apply -f deploy/" kubectl apply -f "$ROOT/deploy/"
expect_ok "kubectl apply --dry-run=server -f deploy/ (again)" \
	kubectl apply --dry-run=server -f "$ROOT/deploy/"
expect_ok "deploy/: the CRDs are Established" \
	kubectl wait --for condition=Established --timeout=60s \
	crd/seccomppolicies.kscmp.io crd/clusterseccomppolicies.kscmp.io \
	crd/kubearmorseccomppolicies.security.kubearmor.com
expect_ok "kubectl apply --server-side -f crd/ (over what deploy/ made)" \
	kubectl apply --server-side -f "$ROOT/crd/"
out=$(kubectl -n kscmp-system get daemonset kscmp -o jsonpath='{.spec.template.spec.volumes[*].hostPath.path} {.spec.template.spec.containers[0].securityContext.capabilities.drop} {.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem}' 2>&1)
if [ "$out" = '/var/lib/kubelet/seccomp ["ALL"] true' ]; then
	pass "deploy/: the DaemonSet as stored: one hostPath, no capability, read-only root"
else
	fail "deploy/: the DaemonSet as stored: $out"
fi
out=$(kubectl get namespace kscmp-system -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' 2>&1)
if [ "$out" = privileged ]; then pass "deploy/: namespace kscmp-system allows the agent (Pod Security)"; else fail "deploy/: namespace Pod Security label: $out"; fi
rights

# ------------------------------------------------------------------ 3. helm template

# A stand-in for prometheus-operator's CRD, accepting any spec: enough to show the
# ServiceMonitor's group, version, kind and namespace are right.
kubectl apply -f - >/dev/null 2>&1 <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  names: {kind: ServiceMonitor, plural: servicemonitors, listKind: ServiceMonitorList, singular: servicemonitor}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
kubectl wait --for condition=Established --timeout=30s crd/servicemonitors.monitoring.coreos.com >/dev/null 2>&1
template_dry_run() {
	local name=$1 out
	shift
	if ! out=$(helm template kscmp "$CHART" -n kscmp-system "$@" 2>&1 >"$WORK/rendered.yaml"); then
		fail "helm template $name: $(short "$out")"
		return
	fi
	expect_ok "helm template $name | kubectl apply --dry-run=server" \
		kubectl apply --dry-run=server -f "$WORK/rendered.yaml"
}
template_dry_run "(defaults)"
template_dry_run "(k0s root, json logs, port 9800)" --set kubeletRoot=/var/lib/k0s/kubelet \
	--set logFormat=json --set metrics.port=9800
template_dry_run "(microk8s root, ServiceMonitor, DAC_OVERRIDE, spc_t)" \
	--set kubeletRoot=/var/snap/microk8s/common/var/lib/kubelet \
	--set metrics.serviceMonitor.enabled=true --set 'extraCapabilities={DAC_OVERRIDE}' \
	--set seLinuxOptions.type=spc_t
template_dry_run "(no CRDs, no Service, own ServiceAccount)" --set crds.install=false \
	--set metrics.service.enabled=false --set serviceAccount.create=false \
	--set serviceAccount.name=kscmp
template_dry_run "(release in another namespace)" --set fullnameOverride=kscmp-other \
	--set crds.kubearmorCompat=false

# ------------------------------------------------------------------ 4. policies

if [ -d "$VECTORS" ]; then
	for f in "$VECTORS"/*/policies.yaml; do
		case_name=$(basename "$(dirname "$f")")
		# shellcheck disable=SC2046
		ns_ensure $(namespaces_of "$f" | sort -u)
		if [ -n "${SCHEMA_INVALID_VECTORS[$case_name]:-}" ]; then
			expect_refused "vector $case_name refused at admission" \
				"${SCHEMA_INVALID_VECTORS[$case_name]}" kubectl apply --dry-run=server -f "$f"
		else
			expect_ok "vector $case_name accepted" kubectl apply --dry-run=server -f "$f"
		fi
	done
else
	skip "the conformance vectors' policies: $VECTORS is missing (a clone without them)"
fi

# The README's examples (policies, Namespaces, Pods) are created for real.
expect_ok "examples/: every object applied" kubectl apply -f "$ROOT/examples/"
expect_ok "examples/: kubectl get kscmp shows them" kubectl get kscmp -n demo kscmp1 kscmp2 base api hardened
# (their Namespaces stay: other steps use them, and without a controller-manager a deleted
# namespace would stay Terminating)
example_args=()
for f in "$ROOT"/examples/*.yaml; do
	[ "$(basename "$f")" = 00-namespaces.yaml ] || example_args+=(-f "$f")
done
expect_ok "examples/: deleted again" kubectl delete --grace-period=0 --force --wait=false \
	"${example_args[@]}"

ns_ensure kscmp-valid kscmp-invalid
expect_ok "valid/: every object created" kubectl create -f "$PKG/valid/"
for f in "$PKG"/invalid/*.yaml; do
	frag=$(sed -n 's/^# expect: //p' "$f" | head -n1)
	expect_refused "invalid/$(basename "$f") refused" "$frag" kubectl apply --dry-run=server -f "$f"
done
# A client that does not ask for strict field validation gets a warning, and the unknown
# field is pruned: it is never stored, so the agent never sees it.
if kubectl apply --validate=false -f "$PKG/invalid/unknown-field-spec.yaml" >/dev/null 2>&1; then
	out=$(kubectl -n kscmp-invalid get seccomppolicy unknown-field -o jsonpath='{.spec}' 2>&1)
	if [[ $out != *mode* ]] && [[ $out == *seccomp* ]]; then
		pass "an unknown spec field sent without strict validation is pruned, not stored"
	else
		fail "an unknown spec field sent without strict validation is pruned: $out"
	fi
	kubectl -n kscmp-invalid delete seccomppolicy unknown-field >/dev/null 2>&1
else
	fail "kubectl apply --validate=false of an unknown field: not even accepted with pruning"
fi
expect_ok "short names: kubectl get kscmp -A, kubectl get ckscmp" \
	bash -c 'kubectl get kscmp -A >/dev/null && kubectl get ckscmp >/dev/null'

# ------------------------------------------------------------------ 5. status

# The agent's own requests: a merge patch on /status with its ServiceAccount's token, as the
# agent sends it (kubectl patch would GET the subresource first, which the agent need not).
if ! "$ROOT/tests/e2e/cluster.sh" sa-kubeconfig "$CLUSTER" kscmp-system kscmp "$WORK/agent.kubeconfig" 10m \
	>/dev/null 2>"$WORK/sa.log"; then
	fail "a token for the agent's ServiceAccount: $(short "$(cat "$WORK/sa.log")")"
fi
# agent_request METHOD PATH [BODY]: prints the HTTP status; the body goes to $WORK/response.
agent_request() {
	curl -s --max-time 20 --cacert "$KSCMP_E2E_CA" -X "$1" \
		-H "Authorization: Bearer $(cat "$WORK/agent.kubeconfig.token" 2>/dev/null)" \
		-H 'Content-Type: application/merge-patch+json' -H 'Accept: application/json' \
		${3:+--data "$3"} -o "$WORK/response" -w '%{http_code}' "$KSCMP_E2E_SERVER$2"
}
# expect_status NAME CODE FRAGMENT METHOD PATH [BODY]: the answer's status, and FRAGMENT in it.
expect_status() {
	local name=$1 code=$2 frag=$3 got
	shift 3
	: >"$WORK/response"
	got=$(agent_request "$@")
	# One line of compact JSON, so that fragments read as '"reason":"Valid"'.
	python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(0)
open(sys.argv[1], "w").write(json.dumps(d, separators=(",", ":")))' "$WORK/response"
	if [ "$got" != "$code" ]; then
		fail "$name: HTTP $got, not $code: $(short "$(cat "$WORK/response")")"
	elif [ -n "$frag" ] && ! grep -qF -- "$frag" "$WORK/response"; then
		fail "$name: no \"$frag\" in $(short "$(cat "$WORK/response")")"
	else
		pass "$name"
	fi
}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ready_patch() {
	printf '{"status":{"observedGeneration":1,"message":"%s","conflicts":%s,"conditions":[{"type":"Ready","status":"%s","reason":"%s","message":"%s","lastTransitionTime":"%s","observedGeneration":1}]}}' \
		"$4" "$5" "$1" "$2" "$3" "$now"
}
SP=/apis/kscmp.io/v1/namespaces/kscmp-valid/seccomppolicies/runtime-spellings
CSP=/apis/kscmp.io/v1/clusterseccomppolicies/kscmp-valid-child
KSP=/apis/security.kubearmor.com/v1/namespaces/kscmp-valid/kubearmorseccomppolicies/ka-full
expect_status "the agent merge-patches a SeccompPolicy's status" 200 '"reason":"Valid"' \
	PATCH "$SP/status" "$(ready_patch True Valid ok '' '[]')"
expect_status "the agent merge-patches a ClusterSeccompPolicy's status (Conflict, conflicts)" 200 \
	'"conflicts":["bpf"]' PATCH "$CSP/status" \
	"$(ready_patch False Conflict 'loosens bpf' 'detached from its parent' '["bpf"]')"
expect_status "the agent merge-patches a KubeArmorSeccompPolicy's status (Invalid)" 200 \
	'"reason":"Invalid"' PATCH "$KSP/status" \
	"$(ready_patch False Invalid 'unknown syscall mkdirr' 'unknown syscall mkdirr' '[]')"
out=$(kubectl get seccomppolicy -n kscmp-valid runtime-spellings 2>&1)
if grep -q 'NAME *DEFAULT *EXTENDS *READY *AGE' <<<"$out" && grep -q 'runtime-spellings *SCMP_ACT_KILL_PROCESS *True' <<<"$out"; then
	pass "printer columns: Default, Extends, Ready, Age"
else
	fail "printer columns: $(short "$out")"
fi
out=$(kubectl get clusterseccomppolicy kscmp-valid-child -o wide 2>&1)
if grep -q 'kscmp-valid-child *ClusterSeccompPolicy/kscmp-valid-base *False *Conflict' <<<"$out"; then
	pass "printer columns: Extends, Ready False, Reason (-o wide)"
else
	fail "printer columns (-o wide): $(short "$out")"
fi
expect_status "a status condition must be True, False or Unknown" 422 'Unsupported value: \"Maybe\"' \
	PATCH "$SP/status" "$(ready_patch Maybe Valid ok '' '[]')"
expect_status "a condition reason must be a CamelCase word" 422 'conditions[0].reason' \
	PATCH "$SP/status" "$(ready_patch False 'not valid!' ok '' '[]')"
expect_status "the agent cannot read the status subresource (it reads by list/watch)" 403 "" \
	GET "$SP/status"
expect_status "the agent cannot merge-patch a policy's spec" 403 "" \
	PATCH "$SP" '{"spec":{"severity":2}}'
expect_status "the agent cannot delete a policy" 403 "" DELETE "$SP"
expect_status "the agent lists pods of its node (field selector)" 200 '"kind":"PodList"' \
	GET "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1"
expect_status "the agent cannot read Secrets" 403 "" GET /api/v1/namespaces/kscmp-system/secrets
expect_status "a status field the schema does not have is refused (strict field validation)" 422 \
	'unknown field \"status.verdict\"' PATCH "$SP/status?fieldValidation=Strict" '{"status":{"verdict":"fine"}}'
expect_status "a spec sent to /status is ignored" 200 '"severity":10' \
	PATCH "$SP/status" '{"spec":{"severity":2}}'

finish
