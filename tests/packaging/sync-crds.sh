#!/usr/bin/env bash
# sync-crds.sh - regenerate the CRDs and their two copies.
#
# crd/generate.py is the one source of the CustomResourceDefinitions. This script runs it
# (writing crd/*.yaml), then copies them where the two install paths need them:
#   deploy/00-crds.yaml            all three in one file, so `kubectl apply -f deploy/` is whole
#   deploy/recording/00-crd-seccomprecordings.yaml
#                                  SeccompRecording's, applied only with recording (opt-in)
#   charts/kscmp/files/crds/*.yaml what the chart's templates/crds.yaml renders (the
#                                  recording one only with recording.enabled)
#
# Usage:
#   tests/packaging/sync-crds.sh          write
#   tests/packaging/sync-crds.sh --check  write nothing; exit 1 and name what is stale
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHECK=0
case ${1:-} in
--check) CHECK=1 ;;
"") ;;
*) echo "usage: sync-crds.sh [--check]" >&2; exit 2 ;;
esac

# The order of the bundle: the kscmp.io kinds first, the compatibility kind last.
CRDS=(
	kscmp.io_seccomppolicies.yaml
	kscmp.io_clusterseccomppolicies.yaml
	security.kubearmor.com_kubearmorseccomppolicies.yaml
)
# Recording's CRD goes with the opt-in recording manifests, not into the bundle.
RECORDING_CRD=kscmp.io_seccomprecordings.yaml
RECORDING_DEPLOY=deploy/recording/00-crd-seccomprecordings.yaml

bundle() {
	local f first=1
	echo "# The kscmp CustomResourceDefinitions, bundled from crd/ by tests/packaging/sync-crds.sh;"
	echo "# do not edit by hand. 00- so that \`kubectl apply -f deploy/\` creates them first."
	for f in "${CRDS[@]}"; do
		[ "$first" = 1 ] || echo "---"
		first=0
		grep -v '^#' "$ROOT/crd/$f"
	done
}

stale=()
if [ "$CHECK" = 1 ]; then
	python3 "$ROOT/crd/generate.py" --check || stale+=("crd/")
	if ! cmp -s <(bundle) "$ROOT/deploy/00-crds.yaml"; then stale+=("deploy/00-crds.yaml"); fi
	for f in "${CRDS[@]}" "$RECORDING_CRD"; do
		cmp -s "$ROOT/crd/$f" "$ROOT/charts/kscmp/files/crds/$f" || stale+=("charts/kscmp/files/crds/$f")
	done
	cmp -s "$ROOT/crd/$RECORDING_CRD" "$ROOT/$RECORDING_DEPLOY" || stale+=("$RECORDING_DEPLOY")
	for f in "$ROOT"/charts/kscmp/files/crds/*; do
		case " ${CRDS[*]} $RECORDING_CRD " in
		*" $(basename "$f") "*) ;;
		*) [ -e "$f" ] && stale+=("charts/kscmp/files/crds/$(basename "$f") (not from crd/)") ;;
		esac
	done
	if [ ${#stale[@]} -gt 0 ]; then
		echo "sync-crds.sh: out of date: ${stale[*]} (run tests/packaging/sync-crds.sh)" >&2
		exit 1
	fi
	exit 0
fi

python3 "$ROOT/crd/generate.py"
bundle >"$ROOT/deploy/00-crds.yaml.tmp"
mv "$ROOT/deploy/00-crds.yaml.tmp" "$ROOT/deploy/00-crds.yaml"
mkdir -p "$ROOT/charts/kscmp/files/crds"
for f in "${CRDS[@]}" "$RECORDING_CRD"; do
	cp "$ROOT/crd/$f" "$ROOT/charts/kscmp/files/crds/$f"
done
cp "$ROOT/crd/$RECORDING_CRD" "$ROOT/$RECORDING_DEPLOY"
echo "sync-crds.sh: crd/, deploy/00-crds.yaml and charts/kscmp/files/crds/ are in step"
