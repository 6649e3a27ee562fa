#!/usr/bin/env bash
# check-static.sh - the install objects, checked without a cluster: every YAML parses, the
# CRDs are structural and strict and say what the contract says, crd/ is what
# crd/generate.py writes and deploy/ and the chart carry the same CRDs, deploy/ and the chart
# give the agent exactly contract section 8's rights and confinement, the values schema holds,
# and the schemas accept the conformance vectors' policies and valid/ and refuse invalid/
# (CEL rules aside: check-server.sh has the API server evaluate those).
# Prints `N passed, N failed` last; exits 1 if anything failed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "check-static.sh: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
exec python3 "$HERE/check_static.py" "$@"
