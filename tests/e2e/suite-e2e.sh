#!/usr/bin/env bash
# suite-e2e.sh - `kscmp agent` against a real Kubernetes control plane (etcd + kube-apiserver
# from cluster.sh; no kubelet, no controller-manager), every check asserting the files the
# agent leaves on disk, the policy status and the Events read back from the API server.
#
#   bash tests/e2e/suite-e2e.sh [SCENARIO,...]
#
# One cluster for the whole suite: the CRDs of crd/ and deploy/01-namespace.yaml +
# deploy/02-rbac.yaml applied, the agent's kubeconfig minted with `cluster.sh sa-kubeconfig`
# for ServiceAccount kscmp-system/kscmp (tokenFile variant), so any permission the RBAC does
# not grant fails the test. The agent runs as a process for node node-a; pods on node-b
# must be ignored. Scenarios (tests/e2e/e2e_suite.py; names for the optional argument):
#   start             agent ready, /healthz; a second agent for an aarch64 node (--arch
#                     aarch64, --log-format json) for the vectors that need it
#   vectors           ../shared/vectors replayed as API objects (namespaces renamed per case,
#                     pods bound to the node; --policy cases through a pod naming the policy;
#                     --arch aarch64 through the node-arm agent), checked with run.py's
#                     check_profile and byte for byte against `kscmp compile`; error cases:
#                     Event + status, or refused by the CRD schema / the API server
#   lifecycle         create/update/delete of policies, pod label changes
#   namespace-labels  ClusterSeccompPolicy namespaceSelector against namespace label changes
#   invalid           a policy made invalid (file keeps its bytes, status Invalid) then fixed
#   conflict          a child that loosens its parent: reason Conflict, conflicts [mkdir]; the
#                     parent changed or deleted (child Invalid, file kept); a cluster parent
#   other-nodes       pods of node-b and unscheduled pods: no file, no Event
#   event-budget      a pod with 30 causes: 25 Events at once, 5 wait for its budget; two of
#                     those five then lose their cause (their policies appear)
#   event-budget-later  its next token: those two withdrawn (not posted, counted, said), the
#                     next waiting one posted in their place (runs before restart: a restarted
#                     agent starts a new budget)
#   status            status/Events with kubectl; no status patch, no Event, no rewrite while idle
#   stale             ProfileStale Event and kscmp_pods_stale_profiles from containerStatuses;
#                     every stale container of a file named in one Event (annotations too), a
#                     start in the second of a change counted, a first version's not, one Event
#                     per change while its containers restart
#   status-herd       three agents (nodes), five changes: about one status write per change,
#                     not one per node
#   retry             status patch and Event refused (RBAC taken away, 403), then sent again
#   standby-rights    a second agent on node-a's root while the ClusterRole lacks patch nodes:
#                     it stands by with /readyz 503 naming that right (SelfSubjectAccessReviews),
#                     200 standby once the right is back; the working agent stays ready
#   token             token rotation: file swapped (inotify), and changed unseen + revoked (401)
#   restart           API server restarted (stop-apiserver + start-apiserver) during policy
#                     churn: 410, relist, converge
#   crd-404           the cluster kind's CRD version not served (404, objects still in etcd) and
#                     an API server restart, with relists: nothing is deleted, the baseline
#                     stays in force; it leaves only when deleted
#   event-restart     the agent restarted twice: its NoPolicy Event on a pod is counted up
#                     (count 2, then 3; lastTimestamp), never posted again
#   kill              agent SIGKILLed, changes while down, restart: correct at /readyz
#   paging            520 policies created while the agent is down: paged list, every status
#                     written although the API server throttles the burst (429)
#   compaction        a second cluster without watch cache: agent started while its API
#                     server is down (healthy, not ready, then ready); etcd compacted -> 410
#                     -> relist; the KubeArmor CRD installed after the agent started is used
#   final             no 403 outside API server restarts; SIGTERM exits 0, no temporary files
# Closes with "N passed, N failed". Tools missing (no Go to build them) is a failure. Checks
# that fail because of a known agent bug print XFAIL and are not counted unless
# KSCMP_E2E_STRICT=1.
#
# Environment: KSCMP_E2E_SUITE_TIMEOUT (default 900 s) bounds the run after the tools are
# ready; KSCMP_E2E_KEEP=1 keeps the scratch folder (agent logs) after the run; KSCMP=FILE
# runs another agent binary (an ASan build, say) instead of build/kscmp.
set -uo pipefail
# shellcheck disable=SC2317  # functions run from traps

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLUSTER=$HERE/cluster.sh
# Its checks compare files with the conformance vectors' runner: without the vectors (a clone
# on its own) the suite cannot run, and says so rather than failing.
if [ ! -f "${KSCMP_VECTORS:-$ROOT/../shared/vectors}/run.py" ]; then
	echo "skip tests/e2e/suite-e2e.sh: no conformance vectors at ${KSCMP_VECTORS:-$ROOT/../shared/vectors}"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
# shellcheck disable=SC1091 source=../lib/report.sh source-path=SCRIPTDIR
. "$ROOT/tests/lib/report.sh"
DIR=
SCRATCH=
WATCHDOG=
PY=

# Processes listed in SCRATCH/pids that are still ours (their command line names SCRATCH).
kill_ours() {
	local p
	[ -n "$SCRATCH" ] && [ -f "$SCRATCH/pids" ] || return 0
	while read -r p; do
		[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || continue
		if tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$SCRATCH/"; then
			kill -CONT "$p" 2>/dev/null
			kill -KILL "$p" 2>/dev/null
		fi
	done <"$SCRATCH/pids"
}

finish() {
	local rc=$? d
	trap - EXIT INT TERM
	report_stop "$PY"
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	kill_ours
	if [ -n "$SCRATCH" ] && [ -f "$SCRATCH/clusters" ]; then
		while read -r d; do
			[ -n "$d" ] && [ -d "$d" ] && { bash "$CLUSTER" stop "$d" || bad "cleanup: cluster.sh stop $d"; }
		done <"$SCRATCH/clusters"
	fi
	if [ -n "$DIR" ] && [ -d "$DIR" ]; then
		bash "$CLUSTER" stop "$DIR" || bad "cleanup: cluster.sh stop $DIR"
	fi
	if [ -n "$SCRATCH" ] && [ -d "$SCRATCH" ]; then
		report_add_counts "$SCRATCH/counts"
		if [ "${KSCMP_E2E_KEEP:-0}" = 1 ]; then
			echo "# scratch kept: $SCRATCH"
		else
			rm -rf "$SCRATCH"
		fi
	fi
	report_finish "$rc"
}
trap finish EXIT
trap 'bad "interrupted or timed out"; exit 1' INT TERM

# 1. The upstream tools (built once, cached outside the repo; see tools.sh).
if ! env_lines=$(bash "$HERE/tools.sh" env); then
	bad "tests/e2e/tools.sh: kube-apiserver and etcd could not be built or found" \
		"(Go is needed once to build them; see the messages above)"
	exit 1
fi
eval "$env_lines"
for t in kubectl curl openssl python3; do
	command -v "$t" >/dev/null || { bad "$t is needed"; exit 1; }
done
ok "tools ready in $KSCMP_E2E_BIN"

# 2. The agent.
if ! make -C "$ROOT" --no-print-directory build/kscmp >/dev/null; then
	bad "make build/kscmp"
	exit 1
fi

# Watchdog: TERM to this script when time is up (finish then cleans up).
report_watchdog "${KSCMP_E2E_SUITE_TIMEOUT:-900}"

SCRATCH=$(mktemp -d /tmp/kscmp-e2e-suite.XXXXXX)
DIR=$(mktemp -d /tmp/kscmp-e2e.XXXXXX)

# 3. One control plane, the CRDs and the RBAC of deploy/.
t0=$EPOCHREALTIME
if ! bash "$CLUSTER" start "$DIR" 2>"$SCRATCH/cluster-start.log"; then
	bad "cluster.sh start" "$(tail -n 5 "$SCRATCH/cluster-start.log")"
	exit 1
fi
ok "cluster.sh start ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
# shellcheck disable=SC1091
. "$DIR/env"
k() { kubectl --request-timeout=30s "$@"; }
if out=$(k apply -f "$ROOT/crd/" 2>&1) &&
	out=$(k wait --for condition=Established --timeout=60s crd/seccomppolicies.kscmp.io \
		crd/clusterseccomppolicies.kscmp.io crd/kubearmorseccomppolicies.security.kubearmor.com 2>&1); then
	ok "CRDs of crd/ applied and Established"
else
	bad "CRDs of crd/ applied" "$out"
	exit 1
fi
if out=$(k apply -f "$ROOT/deploy/01-namespace.yaml" -f "$ROOT/deploy/02-rbac.yaml" 2>&1); then
	ok "deploy/01-namespace.yaml and deploy/02-rbac.yaml applied"
else
	bad "deploy/01-namespace.yaml and deploy/02-rbac.yaml applied" "$out"
	exit 1
fi

# 4. The scenarios (Python, standard library only). In the background so that a TERM from
# the watchdog runs the trap at once.
report_python "$SCRATCH/counts" python3 "$HERE/e2e_suite.py" --cluster "$DIR" --scratch "$SCRATCH" --only "${1:-}"
exit 0
