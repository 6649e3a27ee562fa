#!/usr/bin/env bash
# One schema for the CLI and the API server: every valid and invalid policy case goes to a
# real kube-apiserver (the CRDs of crd/, server-side dry run, strict field validation) and
# to `kscmp validate`, and both must agree (tests/packaging/check_schema.py says which cases
# and which differences are allowed, and why).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
if [ ! -x build/kscmp ]; then
	echo "build/kscmp is missing (make build/kscmp)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! tools_env=$(bash tests/e2e/tools.sh env 2>&1); then
	echo "$tools_env" | tail -5
	echo "tests/e2e/tools.sh could not build the API server"
	echo "0 passed, 1 failed"
	exit 1
fi
eval "$tools_env"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kscmp-schema.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	tests/e2e/cluster.sh stop "$WORK/cluster" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! tests/e2e/cluster.sh start "$WORK/cluster" 2>"$WORK/start.log"; then
	tail -n 20 "$WORK/start.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$WORK/cluster/env"
if ! out=$(kubectl apply --server-side -f crd/ 2>&1) ||
	! out=$(kubectl wait --for condition=Established --timeout=60s \
		crd/seccomppolicies.kscmp.io crd/clusterseccomppolicies.kscmp.io \
		crd/kubearmorseccomppolicies.security.kubearmor.com 2>&1); then
	echo "the CRDs of crd/ were not accepted: $out"
	echo "0 passed, 1 failed"
	exit 1
fi
python3 tests/packaging/check_schema.py build/kscmp "$@"
