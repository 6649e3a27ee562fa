#!/usr/bin/env bash
# tools.sh - build, once, the upstream programs the real-cluster tests need.
#
# Versions (bump them together; `tools.sh gomod` rewrites k8sbuild/go.mod for K8S_VERSION,
# then run `go mod tidy` in k8sbuild/ and etcdbuild/):
#   K8S_VERSION   the newest Kubernetes release on the Go module proxy when this was written.
#   ETCD_VERSION  the etcd that release is tested with (ETCD_VERSION in its hack/lib/etcd.sh,
#                 and the go.etcd.io/etcd/* version in its go.mod).
#   HELM_VERSION  the newest helm v3 on the proxy.
#
# How each is built (Go is needed for the harness only, never for the agent):
#   kube-apiserver  from k8sbuild/, our module that requires k8s.io/kubernetes K8S_VERSION and
#                   replaces each staging module (k8s.io/api, ...) with its published v0.Y.Z;
#                   upstream's own go.mod points them at ./staging, which `go install` refuses.
#                   The version is stamped with -X, as upstream's build does.
#   etcd            from etcdbuild/, which requires go.etcd.io/etcd/server/v3 ETCD_VERSION (its
#                   main package is the module root) with etcd's own dependency versions.
#   helm            `go install helm.sh/helm/v3/cmd/helm@HELM_VERSION` (no replace lines there).
#   kubectl         only when the machine has none that works (or KSCMP_E2E_BUILD_KUBECTL=1),
#                   from k8sbuild/ like kube-apiserver. The gcloud "dispatcher" kubectl in
#                   /usr/bin is a real kubectl and works against this API server.
#   kubelet, kube-controller-manager, kube-scheduler
#                   for the real node (node.sh) only, with --node: from k8sbuild/ like
#                   kube-apiserver (each is a `tool` line of its go.mod), the same version.
#
# Cache: ${KSCMP_E2E_CACHE:-~/.cache/kscmp-e2e}/<K8S_VERSION>/bin, outside the repo, keyed on
# the Kubernetes version; a binary whose --version does not print the pinned version is
# rebuilt. Build logs: <cache>/<K8S_VERSION>/logs/. A second run only runs each --version.
#
# Usage:
#   tests/e2e/tools.sh          build what is missing, print the bin folder
#   tests/e2e/tools.sh env      the same, then print   export KSCMP_E2E_BIN=...; export PATH=...
#                               for  eval "$(tests/e2e/tools.sh env)"
#   tests/e2e/tools.sh check    exit 0 only if everything is built (builds nothing)
#   --node (after env or check, or alone) also the node's programs: kubelet,
#                               kube-controller-manager, kube-scheduler (~10 min the first time)
#   tests/e2e/tools.sh gomod    rewrite k8sbuild/go.mod for K8S_VERSION (when bumping)
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.0
HELM_VERSION=v3.22.0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KSCMP_E2E_CACHE:-$HOME/.cache/kscmp-e2e}/$K8S_VERSION
BIN=$CACHE/bin
LOGS=$CACHE/logs

say() { printf 'tools.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		echo /usr/local/go/bin/go
	else
		die "Go is needed to build the e2e tools (kube-apiserver, etcd, helm) and was not found"
	fi
}

# The expected first line fragment of each tool's version output.
version_ok() {
	local name=$1 bin=$BIN/$1 out
	[ -x "$bin" ] || return 1
	case $name in
	kube-apiserver | kubelet | kube-controller-manager | kube-scheduler)
		out=$("$bin" --version 2>&1) && [[ $out == *"Kubernetes $K8S_VERSION"* ]]
		;;
	kubectl) out=$("$bin" version --client 2>&1) && [[ $out == *"Client Version: $K8S_VERSION"* ]] ;;
	etcd) out=$("$bin" --version 2>&1) && [[ $out == *"etcd Version: ${ETCD_VERSION#v}"* ]] ;;
	helm) out=$(HELM_CONFIG_HOME=/nonexistent "$bin" version --short 2>&1) && [[ $out == "$HELM_VERSION"* ]] ;;
	*) return 1 ;;
	esac
}

# kubectl on the machine is usable if it runs and is new enough for `create token` (1.24+).
system_kubectl_ok() {
	local k out minor
	k=$(PATH=${PATH//$BIN:/} command -v kubectl 2>/dev/null) || return 1
	out=$("$k" version --client 2>/dev/null) || return 1
	minor=$(sed -n 's/^Client Version: v1\.\([0-9]*\)\..*/\1/p' <<<"$out")
	[ -n "$minor" ] && [ "$minor" -ge 24 ]
}

k8s_ldflags() {
	local major=${K8S_VERSION#v} minor
	minor=${major#*.}
	minor=${minor%%.*}
	major=${major%%.*}
	local f="-s -w" p
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		f+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
		f+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	echo "$f"
}

# build NAME: one progress line, the log in $LOGS/NAME.log, non-zero exit on failure.
build() {
	local name=$1 go start rc=0 tmp
	go=$(find_go)
	mkdir -p "$BIN" "$LOGS"
	tmp=$BIN/.$name.tmp
	rm -f "$tmp"
	printf 'tools.sh: building %s ... ' "$name" >&2
	start=$SECONDS
	export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false
	case $name in
	kube-apiserver | kubectl | kubelet | kube-controller-manager | kube-scheduler)
		(cd "$HERE/k8sbuild" && "$go" build -trimpath -ldflags "$(k8s_ldflags)" -o "$tmp" \
			"k8s.io/kubernetes/cmd/$name") >"$LOGS/$name.log" 2>&1 || rc=$?
		;;
	etcd)
		(cd "$HERE/etcdbuild" && "$go" build -trimpath -ldflags "-s -w" -o "$tmp" \
			go.etcd.io/etcd/server/v3) >"$LOGS/$name.log" 2>&1 || rc=$?
		;;
	helm)
		local gobin=$BIN/.helm-gobin
		rm -rf "$gobin"
		(cd "$CACHE" && GOBIN=$gobin "$go" install -trimpath \
			-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
			"helm.sh/helm/v3/cmd/helm@$HELM_VERSION" && mv "$gobin/helm" "$tmp") \
			>"$LOGS/$name.log" 2>&1 || rc=$?
		rm -rf "$gobin"
		;;
	esac
	if [ "$rc" -ne 0 ] || [ ! -x "$tmp" ]; then
		printf 'FAILED after %ss\n' $((SECONDS - start)) >&2
		tail -n 25 "$LOGS/$name.log" >&2 || true
		rm -f "$tmp"
		die "building $name failed (exit $rc); full log: $LOGS/$name.log"
	fi
	mv -f "$tmp" "$BIN/$name"
	if ! version_ok "$name"; then
		printf 'FAILED\n' >&2
		die "$name was built but its version check failed (expected the pinned version)"
	fi
	printf 'done in %ss\n' $((SECONDS - start)) >&2
}

wanted() {
	echo kube-apiserver etcd helm
	if [ "${KSCMP_E2E_BUILD_KUBECTL:-0}" = 1 ] || ! system_kubectl_ok; then echo kubectl; fi
	if [ "$NODE" = 1 ]; then echo kubelet kube-controller-manager kube-scheduler; fi
}

ensure_all() {
	mkdir -p "$CACHE"
	# One builder at a time (parallel test runs share the cache).
	exec 9>"$CACHE/.lock"
	flock 9
	local n
	for n in $(wanted); do
		version_ok "$n" || build "$n"
	done
	flock -u 9
}

gomod() {
	local go mod sv=v0.${K8S_VERSION#v1.}
	go=$(find_go)
	mod=$(cd "$HERE/k8sbuild" && GOWORK=off "$go" mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
		sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
	[ -f "$mod" ] || die "could not fetch the go.mod of k8s.io/kubernetes $K8S_VERSION"
	{
		echo "// Builds kube-apiserver, the node programs (and kubectl if needed) for the e2e harness; see ../tools.sh."
		echo "module kscmp.io/e2e/k8sbuild"
		echo
		echo "go $(awk '$1=="go"{print $2; exit}' "$mod")"
		echo
		echo "require k8s.io/kubernetes $K8S_VERSION"
		echo
		echo "replace ("
		# Every staging module upstream requires as v0.0.0 -> its published v0.Y.Z.
		sed -n '/^require (/,/^)/p' "$mod" |
			awk -v sv="$sv" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { printf "\t%s => %s %s\n", $1, $1, sv }'
		echo ")"
		echo
		echo "tool ("
		echo "	k8s.io/kubernetes/cmd/kube-apiserver"
		echo "	k8s.io/kubernetes/cmd/kubectl"
		echo "	k8s.io/kubernetes/cmd/kubelet"
		echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
		echo "	k8s.io/kubernetes/cmd/kube-scheduler"
		echo ")"
	} >"$HERE/k8sbuild/go.mod"
	(cd "$HERE/k8sbuild" && GOWORK=off GOTOOLCHAIN=local "$go" mod tidy)
	say "rewrote k8sbuild/go.mod for $K8S_VERSION"
}

NODE=0
args=()
for a in "$@"; do
	if [ "$a" = --node ]; then NODE=1; else args+=("$a"); fi
done
set -- "${args[@]}"

case ${1:-} in
"")
	ensure_all
	echo "$BIN"
	;;
env)
	ensure_all
	printf "export KSCMP_E2E_BIN='%s'; export PATH=\"\$KSCMP_E2E_BIN:\$PATH\"\n" "$BIN"
	;;
check)
	for n in $(wanted); do version_ok "$n" || { say "$n is not built"; exit 1; }; done
	;;
gomod) gomod ;;
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*)
	say "usage: tools.sh [env|check|gomod]"
	exit 2
	;;
esac
