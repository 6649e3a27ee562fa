#!/usr/bin/env bash
# `make install` puts kscmp and kubectl-kscmp on the PATH; kubectl finds the plugin and
# `kubectl kscmp compile` works.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck disable=SC1091 source=../lib/report.sh source-path=SCRIPTDIR
. tests/lib/report.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if make --no-print-directory install DESTDIR="$tmp" PREFIX=/usr >/dev/null; then ok "make install"; else bad "make install"; fi
if [ -x "$tmp/usr/bin/kscmp" ] && [ -x "$tmp/usr/bin/kubectl-kscmp" ]; then ok "kscmp and kubectl-kscmp installed"; else bad "binaries missing"; fi
tools_env=$(bash tests/e2e/tools.sh env 2>/dev/null) && eval "$tools_env"
export PATH="$tmp/usr/bin:$PATH"
if ! command -v kubectl >/dev/null; then
    bad "no kubectl to test the plugin with"
else
    if kubectl plugin list 2>/dev/null | grep -q "$tmp/usr/bin/kubectl-kscmp"; then ok "kubectl plugin list shows kubectl-kscmp"; else bad "kubectl plugin list: $(kubectl plugin list 2>&1 | tail -3)"; fi
    want=$(build/kscmp compile -f examples --pod examples/90-pods.yaml --profile kscmp/demo/web.json --arch x86_64)
    got=$(kubectl kscmp compile -f examples --pod examples/90-pods.yaml --profile kscmp/demo/web.json --arch x86_64 2>&1)
    if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "kubectl kscmp compile"; else bad "kubectl kscmp compile: $got"; fi
    kubectl kscmp compile >/dev/null 2>&1
    rc=$?
    if [ $rc = 2 ]; then ok "kubectl kscmp passes the exit status through (2, usage)"; else bad "kubectl kscmp compile without args: exit $rc, want 2"; fi
fi
report_finish 0
