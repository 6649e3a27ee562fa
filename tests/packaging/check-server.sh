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
#   6. Pods: the ValidatingAdmissionPolicy of deploy/07-pod-policy.yaml (applied in step 2)
#      refuses, by server-side dry-run, pods and ephemeral containers whose localhostProfile
#      leads into kscmp/ but is not kscmp/<the pod's namespace>/NAME.json (pod level, init,
#      regular and ephemeral containers; "./kscmp/", "kscmp//", "..", namespace a naming
#      kscmp/a-b/), lets every other pod through, and refuses exactly the kscmp/ references
#      that the agent itself refuses (`kscmp compile` says ProfileRefused).
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

if out=$(helm install kscmp "$CHART" -n kscmp-system --create-namespace 2>&1); then
	pass "helm install kscmp charts/kscmp -n kscmp-system --create-namespace"
else
	fail "helm install kscmp charts/kscmp -n kscmp-system --create-namespace: $(short "$out")"
fi
# --create-namespace makes a namespace with no Pod Security level: the notes say what a
# stricter cluster default would do and how to label it.
if grep -q 'No Pod Security level was seen on namespace kscmp-system' <<<"$out" &&
	grep -q 'kubectl label namespace kscmp-system pod-security.kubernetes.io/enforce=privileged' <<<"$out"; then
	pass "helm notes: a namespace with no Pod Security level is told how to be labelled"
else
	fail "helm notes about a namespace with no Pod Security level: $(short "$out")"
fi
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

# Recording on and off as deploy/README.md says: the patch adds the flag, the two capabilities
# and the two host folders; `kubectl replace --save-config` of 03 takes every one of them away
# (a `kubectl apply` of 03 would keep what the patch added: it is not in its last-applied).
ds_shape() {
	kubectl -n kscmp-system get daemonset kscmp -o jsonpath='{.spec.template.spec.volumes[*].hostPath.path} {.spec.template.spec.containers[0].securityContext.capabilities.add} {.spec.template.spec.containers[0].args}' 2>&1
}
before=$(ds_shape)
expect_ok "deploy/recording/: applied" kubectl apply -f "$ROOT/deploy/recording/"
expect_ok "deploy/recording/: the DaemonSet patched" \
	kubectl -n kscmp-system patch daemonset kscmp --patch-file "$ROOT/deploy/recording/patch/daemonset.yaml"
out=$(ds_shape)
if grep -q '/sys/fs/bpf' <<<"$out" && grep -q '/sys/fs/cgroup' <<<"$out" && grep -q '"BPF","PERFMON"' <<<"$out" &&
	grep -q -- '--recording' <<<"$out"; then
	pass "recording on: --recording, CAP_BPF and CAP_PERFMON, bpffs and cgroupfs"
else
	fail "recording on: $out"
fi
# What the docs warn of: an apply of 03 takes the flag away, not the rest.
kubectl apply -f "$ROOT/deploy/03-daemonset.yaml" >/dev/null 2>&1
out=$(ds_shape)
if grep -q '"BPF","PERFMON"' <<<"$out" && ! grep -q -- '--recording' <<<"$out"; then
	pass "kubectl apply of 03 after the patch keeps the capabilities (why the docs say replace)"
else
	fail "kubectl apply of 03 after the patch: $out"
fi
expect_ok "recording off: kubectl replace --save-config -f deploy/03-daemonset.yaml" \
	kubectl replace --save-config -f "$ROOT/deploy/03-daemonset.yaml"
out=$(ds_shape)
if [ "$out" = "$before" ] && ! grep -q 'bpf\|BPF\|--recording' <<<"$out"; then
	pass "recording off: the DaemonSet is as deploy/ made it (no flag, capability or host folder left)"
else
	fail "recording off: $out (before: $before)"
fi
expect_ok "kubectl apply -f deploy/ after the replace" kubectl apply -f "$ROOT/deploy/"
expect_ok "recording off: its RBAC deleted" kubectl delete -f "$ROOT/deploy/recording/02-rbac-recording.yaml"

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
if grep -q 'NAME *DEFAULT *EXTENDS *READY *REASON *AGE' <<<"$out" && grep -q 'runtime-spellings *SCMP_ACT_KILL_PROCESS *True *Valid' <<<"$out"; then
	pass "printer columns: Default, Extends, Ready, Reason, Age"
else
	fail "printer columns: $(short "$out")"
fi
out=$(kubectl get clusterseccomppolicy kscmp-valid-child -o wide 2>&1)
if grep -q 'NAME *DEFAULT *CEILING *EXTENDS *READY *REASON *AGE' <<<"$out"; then
	pass "printer columns of a ClusterSeccompPolicy: Ceiling after Default"
else
	fail "printer columns of a ClusterSeccompPolicy: $(short "$out")"
fi
if grep -q 'kscmp-valid-child *ClusterSeccompPolicy/kscmp-valid-base *False *Conflict' <<<"$out"; then
	pass "printer columns: Extends, Ready False, Reason"
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


# ------------------------------------------------------------------ 6. pods naming profiles

# The policy of deploy/07-pod-policy.yaml has been in place since step 2. Namespace a and
# namespace a-b: a pod of a must not reach a-b's folder (a prefix of the other's name).
ns_ensure a a-b
# seccomp_pod NAME POD_REF INIT_REF MAIN_REF: a Pod of namespace a (bound to a node that does
# not exist, so nothing schedules or runs it); "" leaves that level without seccompProfile.
seccomp_pod() {
	python3 - "$@" <<'EOF'
import json, sys
name, pod_ref, init_ref, main_ref = sys.argv[1:5]
def sc(ref):
    return {"seccompProfile": {"type": "Localhost", "localhostProfile": ref}} if ref else {}
spec = {"nodeName": "kscmp-no-node", "containers": [{"name": "main", "image": "busybox", "securityContext": sc(main_ref)}]}
if init_ref:
    spec["initContainers"] = [{"name": "setup", "image": "busybox", "securityContext": sc(init_ref)}]
if pod_ref:
    spec["securityContext"] = sc(pod_ref)
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "a"}, "spec": spec}))
EOF
}
dry_create() { seccomp_pod "$@" | kubectl create --dry-run=server -f - 2>&1; }
pod_allowed() {
	local what=$1 out
	shift
	if out=$(dry_create "$@"); then pass "pod admission: allowed: $what"; else fail "pod admission: allowed: $what: $(short "$out")"; fi
}
# pod_refused WHAT FRAGMENT NAME POD_REF INIT_REF MAIN_REF
pod_refused() {
	local what=$1 frag=$2 out
	shift 2
	if out=$(dry_create "$@"); then
		fail "pod admission: refused: $what: accepted"
	elif ! grep -qF -- "$frag" <<<"$out"; then
		fail "pod admission: refused: $what: not with \"$frag\": $(short "$out")"
	else
		pass "pod admission: refused: $what"
	fi
}
# The policy takes effect a moment after it is created (the API server's policy informer).
admission_active() {
	local _ out
	for _ in $(seq 1 120); do
		out=$(dry_create p "" "" kscmp/a-b/x.json)
		grep -q kscmp-profile-references <<<"$out" && return 0
		sleep 0.5
	done
	return 1
}
if admission_active; then pass "pod admission: the policy of deploy/ is in force"; else fail "pod admission: the policy of deploy/ never refused a pod"; fi
long=$(printf 'n%.0s' $(seq 1 250))
pod_allowed "kscmp/a/web.json (container)" p "" "" kscmp/a/web.json
pod_allowed "kscmp/a/web.v2-x.json at pod level, init and container" p kscmp/a/web.v2-x.json kscmp/a/init.json kscmp/a/web.v2-x.json
pod_allowed "a 250-character name" p "" "" "kscmp/a/$long.json"
pod_allowed "no seccompProfile at all" p "" "" ""
pod_allowed "a Localhost profile outside kscmp/ (profiles/audit.json)" p "" "" profiles/audit.json
pod_allowed "other/kscmp/a-b/x.json (a folder of its own, not kscmp's)" p "" "" other/kscmp/a-b/x.json
pod_allowed "kscmpx/a-b/x.json" p "" "" kscmpx/a-b/x.json
msg='a pod of namespace "a" may only use kscmp/a/NAME.json'
pod_refused "a pod of a naming kscmp/a-b/x.json" "localhostProfile \"kscmp/a-b/x.json\" of container main is refused: $msg" p "" "" kscmp/a-b/x.json
pod_refused "another namespace's folder at pod level" 'of the pod (spec.securityContext) is refused' p kscmp/a-b/x.json "" kscmp/a/x.json
pod_refused "another namespace's folder in an init container" 'localhostProfile "kscmp/b/x.json" of init container setup' p "" kscmp/b/x.json kscmp/a/x.json
pod_refused "./kscmp/a-b/x.json (the kubelet joins paths: the same file)" 'localhostProfile "./kscmp/a-b/x.json"' p "" "" ./kscmp/a-b/x.json
pod_refused "./kscmp/a/x.json (not how kscmp names it)" 'localhostProfile "./kscmp/a/x.json"' p "" "" ./kscmp/a/x.json
pod_refused ".//./kscmp/a-b/x.json" 'localhostProfile ".//./kscmp/a-b/x.json"' p "" "" .//./kscmp/a-b/x.json
pod_refused "kscmp//a-b/x.json" 'localhostProfile "kscmp//a-b/x.json"' p "" "" kscmp//a-b/x.json
pod_refused "kscmp/./a-b/x.json" 'localhostProfile "kscmp/./a-b/x.json"' p "" "" kscmp/./a-b/x.json
pod_refused "kscmp/a/../a-b/x.json (the API server refuses '..' itself)" "must not contain '..'" p "" "" kscmp/a/../a-b/x.json
pod_refused "kscmp/a/X.json (not a DNS-1123 subdomain)" 'localhostProfile "kscmp/a/X.json"' p "" "" kscmp/a/X.json
pod_refused "kscmp/a/sub/x.json" 'localhostProfile "kscmp/a/sub/x.json"' p "" "" kscmp/a/sub/x.json
pod_refused "kscmp/a/x.yaml" 'localhostProfile "kscmp/a/x.yaml"' p "" "" kscmp/a/x.yaml
pod_refused "a 251-character name" "of container main is refused" p "" "" "kscmp/a/${long}n.json"
pod_refused "kscmp (the folder itself)" 'localhostProfile "kscmp"' p "" "" kscmp
pod_refused "two refusals: the message counts the second" "(and 1 more reference(s) like it)" p kscmp/a-b/x.json "" kscmp/b/x.json

# Ephemeral containers (kubectl debug): a pod that exists, then the subresource.
ephemeral() { # NAME PROFILE_JSON_OR_EMPTY -> the patch
	printf '{"spec":{"ephemeralContainers":[{"name":"%s","image":"busybox"%s}]}}' "$1" \
		"${2:+,\"securityContext\":{\"seccompProfile\":$2\}}"
}
add_ephemeral() { # POD NAME PROFILE_JSON_OR_EMPTY
	kubectl -n a patch pod "$1" --subresource=ephemeralcontainers --type=strategic --dry-run=server \
		-p "$(ephemeral "$2" "$3")" 2>&1
}
if out=$(seccomp_pod target kscmp/a/x.json "" "" | kubectl create -f - 2>&1); then
	pass "pod admission: a pod of a with kscmp/a/x.json created"
else
	fail "pod admission: a pod of a with kscmp/a/x.json created: $(short "$out")"
fi
if out=$(add_ephemeral target dbg '{"type":"Localhost","localhostProfile":"kscmp/a-b/x.json"}'); then
	fail "pod admission: refused: an ephemeral container naming kscmp/a-b/x.json: accepted"
elif grep -qF 'localhostProfile "kscmp/a-b/x.json" of ephemeral container dbg is refused' <<<"$out"; then
	pass "pod admission: refused: an ephemeral container naming kscmp/a-b/x.json"
else
	fail "pod admission: refused: an ephemeral container naming kscmp/a-b/x.json: $(short "$out")"
fi
if out=$(add_ephemeral target dbg '{"type":"Localhost","localhostProfile":"kscmp/a/x.json"}'); then
	pass "pod admission: allowed: an ephemeral container naming kscmp/a/x.json"
else
	fail "pod admission: allowed: an ephemeral container naming kscmp/a/x.json: $(short "$out")"
fi
if out=$(add_ephemeral target dbg ''); then
	pass "pod admission: allowed: an ephemeral container inheriting the pod's kscmp/a/x.json"
else
	fail "pod admission: allowed: an ephemeral container inheriting the pod's kscmp/a/x.json: $(short "$out")"
fi
# A pod made while the policy was away, with another namespace's file at pod level but its own
# on the container: an ephemeral container that would inherit the pod's is refused; one with
# its own profile is not, and nor is anything else done to the pod (a label).
kubectl delete validatingadmissionpolicybinding kscmp-profile-references >/dev/null 2>&1
for _ in $(seq 1 120); do
	seccomp_pod old kscmp/a-b/x.json "" kscmp/a/x.json | kubectl create -f - >/dev/null 2>&1 && break
	sleep 0.5
done
expect_ok "pod admission: binding deleted: a pod with kscmp/a-b/x.json at pod level gets in" \
	kubectl -n a get pod old
expect_ok "pod admission: binding applied again" kubectl apply -f "$ROOT/deploy/07-pod-policy.yaml"
admission_active || fail "pod admission: the policy never took effect again"
if out=$(add_ephemeral old dbg ''); then
	fail "pod admission: refused: an ephemeral container that inherits kscmp/a-b/x.json: accepted"
elif grep -qF 'localhostProfile "kscmp/a-b/x.json" of the pod (spec.securityContext)' <<<"$out"; then
	pass "pod admission: refused: an ephemeral container that inherits kscmp/a-b/x.json"
else
	fail "pod admission: refused: an ephemeral container that inherits kscmp/a-b/x.json: $(short "$out")"
fi
if out=$(add_ephemeral old dbg '{"type":"RuntimeDefault"}'); then
	pass "pod admission: allowed: an ephemeral container of that pod with a profile of its own"
else
	fail "pod admission: allowed: an ephemeral container of that pod with a profile of its own: $(short "$out")"
fi
expect_ok "pod admission: other updates of that pod pass (a label)" kubectl -n a label pod old checked=yes
kubectl -n a delete pod target old --grace-period=0 --force >/dev/null 2>&1

# The same verdict as the agent for every reference it calls its own (those that start with
# kscmp/): refused at admission exactly when `kscmp compile` says ProfileRefused.
KSCMP=$ROOT/build/kscmp
if [ -x "$KSCMP" ]; then
	printf 'apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: x, namespace: a}\nspec: {extends: runtime/default}\n' >"$WORK/agent-policy.yaml"
	mismatches=
	n=0
	for ref in kscmp/a/x.json kscmp/a-b/x.json kscmp/a/x.y.json kscmp/a/x..json kscmp/a/.x.json \
		kscmp/a/x-.json kscmp/a/-x.json kscmp/a/x.JSON kscmp/a/x kscmp/a/.json kscmp/a/x.json/ \
		kscmp/a//x.json kscmp//a/x.json kscmp/./a/x.json kscmp/A/x.json kscmp/a/x_y.json \
		kscmp/a/sub/x.json kscmp/a/x.json.json kscmp/ kscmp/a kscmp/a/ "kscmp/a/$long.json" \
		"kscmp/a/${long}n.json" "kscmp/a/${long:0:240}.${long:0:9}.json" kscmp/a/x%.json \
		"kscmp/a/x y.json" kscmp/kube-system/x.json kscmp/b/x.json; do
		n=$((n + 1))
		seccomp_pod p "" "" "$ref" >"$WORK/agent-pod.json"
		if kubectl create --dry-run=server -f "$WORK/agent-pod.json" >/dev/null 2>&1; then admitted=yes; else admitted=no; fi
		out=$("$KSCMP" compile -f "$WORK/agent-policy.yaml" --pod "$WORK/agent-pod.json" 2>&1)
		if grep -q ProfileRefused <<<"$out"; then agent=no; else agent=yes; fi
		[ "$admitted" = "$agent" ] || mismatches+=" $ref (admission: $admitted, agent: $agent);"
	done
	if [ -z "$mismatches" ]; then
		pass "pod admission: the same verdict as the agent's for $n kscmp/ references"
	else
		fail "pod admission: verdicts differ from the agent's:$mismatches"
	fi
else
	skip "pod admission against the agent's verdicts: build/kscmp is not built"
fi

finish
