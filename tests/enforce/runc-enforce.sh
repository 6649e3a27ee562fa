#!/usr/bin/env bash
# runc-enforce.sh - proves that a real runtime (runc) accepts a seccomp profile and enforces it.
#
#   runc-enforce.sh PROFILE.json [--allow 'CMD']... [--deny 'CMD']... [--message TEXT]
#                   [--no-control] [--keep] [--no-new-privileges true|false]
#   runc-enforce.sh PROFILE.json --accept-only
#
# Builds a throw-away OCI bundle (a rootfs holding only busybox-static), puts PROFILE.json
# in config.json as linux.seccomp and runs containers with `runc run`:
#   --allow CMD   a busybox command line that must succeed under the profile
#                 (default: "true" and "echo ok")
#   --deny CMD    a busybox command line that must fail under the profile with TEXT in its
#                 output (default: "mkdir /tmp/x")
#   --message T   what a denied command prints (default: "Operation not permitted", EPERM)
#   --no-control  skip the control runs: each --deny command run without linux.seccomp
#                 must succeed, which proves that the failure comes from the profile
#   --keep        keep the bundle folder and print where it is
#   --no-new-privileges true|false
#                 the container's process.noNewPrivileges (default true, as `runc spec`;
#                 false is Kubernetes' default, where runc loads the profile earlier)
#   --accept-only only check that runc takes the profile: `busybox true` runs, or fails
#                 for another reason than seccomp (an allow-list too narrow for runc's own
#                 init, which must still close, futex, execve... after the filter is in)
# CMD is split like a shell would (no shell runs it) and run as /bin/busybox CMD...
# Prints one PASS/FAIL line per check and `N passed, N failed`. Exit 0 when all passed,
# 1 when one failed, 2 on usage errors, 77 when runc or busybox-static cannot run here.
set -u

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
}

profile=""
allows=()
denies=()
message="Operation not permitted"
control=1
keep=0
nnp=true
accept_only=0
while [ $# -gt 0 ]; do
    case "$1" in
    --allow) [ $# -ge 2 ] || usage; allows+=("$2"); shift 2 ;;
    --deny) [ $# -ge 2 ] || usage; denies+=("$2"); shift 2 ;;
    --message) [ $# -ge 2 ] || usage; message="$2"; shift 2 ;;
    --no-control) control=0; shift ;;
    --keep) keep=1; shift ;;
    --no-new-privileges)
        [ $# -ge 2 ] && { [ "$2" = true ] || [ "$2" = false ]; } || usage
        nnp="$2"; shift 2 ;;
    --accept-only) accept_only=1; shift ;;
    -h | --help) usage ;;
    -*) echo "runc-enforce: unknown option $1" >&2; usage ;;
    *) [ -z "$profile" ] || usage; profile="$1"; shift ;;
    esac
done
[ -n "$profile" ] || usage
[ -r "$profile" ] || { echo "runc-enforce: cannot read $profile" >&2; exit 2; }
[ ${#allows[@]} -gt 0 ] || allows=("true" "echo ok")
[ ${#denies[@]} -gt 0 ] || denies=("mkdir /tmp/x")

skip() {
    echo "runc-enforce: SKIP: $*" >&2
    exit 77
}
[ "$(id -u)" = 0 ] || skip "runc needs root here"
command -v runc >/dev/null || skip "runc is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
busybox=""
for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
        busybox="$b"
        break
    fi
done
[ -n "$busybox" ] || skip "busybox-static is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/kscmp-enforce.XXXXXX") || exit 1
state="$work/state"
bundle="$work/bundle"
ids=()

cleanup() {
    for id in "${ids[@]}"; do
        runc --root "$state" delete --force "$id" >/dev/null 2>&1
    done
    if [ "$keep" = 1 ]; then
        echo "runc-enforce: bundle kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$bundle/rootfs/bin" "$state"
cp "$busybox" "$bundle/rootfs/bin/busybox"
(cd "$bundle" && runc spec) || { echo "runc-enforce: runc spec failed" >&2; exit 1; }
cp "$bundle/config.json" "$work/config.base.json"

# Writes $bundle/config.json from the base one: process args "busybox CMD...", and the
# profile as linux.seccomp unless the profile argument is empty.
write_config() { # CMD PROFILE-OR-EMPTY
    python3 - "$work/config.base.json" "$bundle/config.json" "$1" "$2" "$nnp" <<'EOF'
import json, shlex, sys
base, out, cmd, profile, nnp = sys.argv[1:6]
with open(base) as f:
    c = json.load(f)
c["process"]["terminal"] = False
c["process"]["noNewPrivileges"] = nnp == "true"
c["process"]["args"] = ["/bin/busybox"] + shlex.split(cmd)
c["root"]["readonly"] = False
c["hostname"] = "kscmp-enforce"
linux = c.setdefault("linux", {})
linux.pop("seccomp", None)
if profile:
    with open(profile) as f:
        linux["seccomp"] = json.load(f)
with open(out, "w") as f:
    json.dump(c, f, indent=1)
EOF
}

# A fresh writable /tmp in the rootfs, so that no run sees what another left.
reset_rootfs() {
    rm -rf "$bundle/rootfs/tmp"
    mkdir -m 1777 "$bundle/rootfs/tmp"
}

# Runs one container; sets out (its output and runc's) and rc.
n=0
run_container() { # CMD PROFILE-OR-EMPTY
    n=$((n + 1))
    local id="kscmp-enforce-$$-$n"
    ids+=("$id")
    reset_rootfs
    if ! write_config "$1" "$2" 2>"$work/python.err"; then
        out="cannot write config.json: $(cat "$work/python.err")"
        rc=125
        return
    fi
    out=$(cd "$bundle" && timeout 60 runc --root "$state" run --bundle "$bundle" "$id" \
        </dev/null 2>&1)
    rc=$?
    runc --root "$state" delete --force "$id" >/dev/null 2>&1
}

passed=0
failed=0
pass() {
    passed=$((passed + 1))
    echo "PASS: $*"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
indent() { printf '    %s\n' "${1//$'\n'/$'\n'    }"; }

if [ "$accept_only" = 1 ]; then
    run_container "true" "$profile"
    if [ "$rc" = 0 ] || ! grep -qi "seccomp" <<<"$out"; then
        pass "accepted: runc set the profile up (busybox true exited $rc)"
    else
        fail "accepted: runc refused the profile"
        indent "$out"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
fi

for cmd in "${allows[@]}"; do
    run_container "$cmd" "$profile"
    if [ "$rc" = 0 ]; then
        pass "allowed: busybox $cmd"
    else
        fail "allowed: busybox $cmd exited $rc"
        indent "$out"
    fi
done

for cmd in "${denies[@]}"; do
    run_container "$cmd" "$profile"
    if [ "$rc" != 0 ] && grep -qF -- "$message" <<<"$out"; then
        pass "denied: busybox $cmd ($message)"
    else
        fail "denied: busybox $cmd exited $rc without \"$message\""
        indent "$out"
    fi
    if [ "$control" = 1 ]; then
        run_container "$cmd" ""
        if [ "$rc" = 0 ]; then
            pass "control: busybox $cmd succeeds without the profile"
        else
            fail "control: busybox $cmd exited $rc without the profile"
            indent "$out"
        fi
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
