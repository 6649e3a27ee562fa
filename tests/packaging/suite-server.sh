#!/usr/bin/env bash
# CRDs, manifests and chart against a real API server: server-side dry-run, helm lint and
# template, helm install/upgrade/uninstall, kubectl auth can-i for the agent's account.
set -u
cd "$(dirname "$0")/../.." || exit 1
if ! tools_env=$(bash tests/e2e/tools.sh env 2>&1); then
    echo "$tools_env" | tail -5
    echo "tests/e2e/tools.sh could not build the API server and helm"
    echo "0 passed, 1 failed"
    exit 1
fi
eval "$tools_env"
exec bash tests/packaging/check-server.sh "$@"
