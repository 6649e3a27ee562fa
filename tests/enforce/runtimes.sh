#!/usr/bin/env bash
# runtimes.sh - builds, once, the upstream runc releases the start-up tests run beside Debian's
# runc and crun, and prints one line "NAME PATH" per runtime.
#
# Debian 12 has runc 1.1.5; nodes today mostly run runc 1.2 to 1.4, whose start-up steps
# differ (a private procfs handle, openat2, close_range, glibc's set*id broadcast). So the
# tests also run:
#   RUNC_VERSIONS  the oldest maintained line and the newest release on the Go module proxy
#                  when this was written (1.3.x takes the same steps as these two).
# Built with `go install -tags seccomp github.com/opencontainers/runc@VERSION` (Go and
# libseccomp-dev are needed; the module proxy serves runc like any Go module), the version
# stamped with -X main.version. Cache: ${KSCMP_E2E_CACHE:-~/.cache/kscmp-e2e}/runc/VERSION/runc,
# outside the repo; a binary whose --version does not print VERSION is rebuilt.
#
# Usage: tests/enforce/runtimes.sh          build what is missing, print the list
#        tests/enforce/runtimes.sh check    print the list of what is built, build nothing
set -euo pipefail

RUNC_VERSIONS="v1.2.9 v1.4.3"

CACHE=${KSCMP_E2E_CACHE:-$HOME/.cache/kscmp-e2e}/runc
say() { printf 'runtimes.sh: %s\n' "$*" >&2; }

find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		echo /usr/local/go/bin/go
	fi
}

mode=${1:-build}
for v in $RUNC_VERSIONS; do
	bin=$CACHE/$v/runc
	want="runc version ${v#v}"
	out=""
	if [ -x "$bin" ]; then out=$("$bin" --version 2>/dev/null || true); fi
	if [ "${out%%$'\n'*}" = "$want" ]; then
		echo "runc-${v#v} $bin"
		continue
	fi
	[ "$mode" = check ] && continue
	go=$(find_go)
	if [ -z "$go" ]; then
		say "Go is needed to build runc $v (for the start-up tests) and was not found"
		exit 1
	fi
	mkdir -p "$CACHE/$v"
	say "building runc $v (once; log in $CACHE/$v/build.log)"
	if ! GOBIN=$CACHE/$v GOFLAGS=-mod=mod CGO_ENABLED=1 nice "$go" install -tags seccomp \
		-ldflags "-X main.version=${v#v}" "github.com/opencontainers/runc@$v" \
		>"$CACHE/$v/build.log" 2>&1; then
		say "building runc $v failed: $(tail -3 "$CACHE/$v/build.log")"
		exit 1
	fi
	echo "runc-${v#v} $bin"
done
