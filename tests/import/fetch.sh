#!/usr/bin/env bash
# fetch.sh - the outside profiles the import round-trip tests read, fetched at test time (they
# are other projects' files: never committed here) through the Go module proxy, and cached.
#
#   MOBY_PROFILES   github.com/moby/profiles/seccomp: Docker's default profile (default.json)
#   SPO, SPO_1      sigs.k8s.io/security-profiles-operator: its examples/*.yaml, of 0.8
#                   (namespaced profiles, v1beta1) and of 1.0 (cluster-wide, v1, spec.state)
#
# Cache: ${KSCMP_E2E_CACHE:-~/.cache/kscmp-e2e}/import/<module>@<version>/, outside the repo.
# A second run copies nothing and needs neither Go nor the network.
#
# Usage: tests/import/fetch.sh    prints the cache folder; exit 1 (with the reason on stderr)
#                                 when a module cannot be had.
set -euo pipefail

MOBY_PROFILES=github.com/moby/profiles/seccomp@v0.3.0
SPO=sigs.k8s.io/security-profiles-operator@v0.8.4
SPO_1=sigs.k8s.io/security-profiles-operator@v1.0.0

CACHE=${KSCMP_E2E_CACHE:-$HOME/.cache/kscmp-e2e}/import
say() { printf 'fetch.sh: %s\n' "$*" >&2; }

find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		echo /usr/local/go/bin/go
	else
		return 1
	fi
}

# fetch MODULE@VERSION FILE... : copies the module's FILEs (globs relative to its root).
fetch() {
	local mod=$1 dest=$CACHE/${1//\//_}
	shift
	[ -f "$dest/.complete" ] && return 0
	local go dir tmp
	go=$(find_go) || { say "Go is needed to fetch $mod and was not found"; return 1; }
	tmp=$(mktemp -d)
	# Outside any module, with the machine's proxy settings.
	if ! dir=$(cd "$tmp" && GOFLAGS=-mod=mod GO111MODULE=on "$go" mod download -json "$mod" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); then
		rm -rf "$tmp"
		say "go mod download $mod failed"
		return 1
	fi
	rm -rf "$tmp" "$dest.tmp"
	mkdir -p "$dest.tmp"
	local pat f
	for pat in "$@"; do
		for f in "$dir"/$pat; do
			[ -f "$f" ] || { say "$mod has no $pat"; return 1; }
			mkdir -p "$dest.tmp/$(dirname "${f#"$dir"/}")"
			cp "$f" "$dest.tmp/${f#"$dir"/}"
		done
	done
	chmod -R u+w "$dest.tmp"
	touch "$dest.tmp/.complete"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
fetch "$MOBY_PROFILES" default.json
fetch "$SPO" 'examples/*.yaml'
fetch "$SPO_1" 'examples/*.yaml'
echo "$CACHE"
