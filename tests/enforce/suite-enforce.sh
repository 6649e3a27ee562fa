#!/usr/bin/env bash
# Enforcement by a real runtime: the agent writes profiles from policies, runc loads each into
# a busybox container, and the syscalls the policies block fail while the rest works; then the
# profiles of examples/ and of the README's first policy under runc and crun, in both start-up
# modes (tests/enforce/examples.py).
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/dir" "$tmp/root"
# Busybox's and runc's init needs (an allow-list must keep them, measured with runc 1.1.5).
base="arch_prctl, brk, close, epoll_ctl, execve, exit_group, fstatfs, futex, getdents64,
      getpid, getrandom, getuid, getppid, mprotect, nanosleep, openat, prctl, prlimit64,
      readlink, rseq, sched_yield, set_robust_list, set_tid_address, write, mmap, munmap,
      rt_sigaction, rt_sigprocmask, rt_sigreturn, newfstatat, fstat, fcntl, ioctl, read,
      capget, capset, setgroups, setgid, setuid, chdir, getcwd, uname, dup2, dup3, exit, wait4,
      lseek, access, faccessat, faccessat2, stat, lstat, gettid, tgkill, umask"
cat >"$tmp/dir/policies.yaml" <<YAML
# 1. The runtime's default, with mkdir blocked.
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: hardened, namespace: demo}
spec:
  extends: runtime/default
  rules: [{syscalls: [mkdir, mkdirat], action: Block}]
---
# 2. A block-list with another errno: mkdir gets EACCES.
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: eacces, namespace: demo}
spec:
  rules: [{syscalls: [mkdir, mkdirat], action: Block, errno: EACCES}]
---
# 3. Two allow-lists merged: the union of what they allow, less what either blocks.
#    "a" allows busybox's needs and mkdir; "b" allows the same but blocks mkdir: deny wins.
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: a, namespace: demo}
spec:
  selector: {matchLabels: {app: merged}}
  seccomp: {syscalls: [$base, mkdir, mkdirat], action: Allow}
---
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: b, namespace: demo}
spec:
  selector: {matchLabels: {app: merged}}
  seccomp: {syscalls: [$base], action: Allow}
  rules: [{syscalls: [mkdir, mkdirat], action: Block}]
YAML
policy() { # name, app (the pods it selects), spec lines after the selector
    printf -- '---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\n'
    printf 'metadata: {name: %s, namespace: demo}\nspec:\n  selector: {matchLabels: {app: %s}}\n%s\n' "$1" "$2" "$3"
}
allow_all="  seccomp: {syscalls: [$base, personality], action: Allow}"
block() { # the personality rule of a Block when arg 0 says args (index 0)
    echo "  - {syscalls: [personality], action: Block, args: [{index: 0, $1}]}"
}
{
    # 4. Conditions of two policies that never match one call keep their own actions: an
    #    allow-list allows personality(0) (busybox linux64), a block-list blocks personality
    #    when arg 0 > 5 (linux32: PER_LINUX32 = 8): linux64 works, linux32 gets EPERM (the
    #    merge once dropped the allow with the block, and linux64 failed too).
    policy cond-allow cond "  seccomp: {syscalls: [$base], action: Allow}
  rules: [{syscalls: [personality], action: Allow, args: [{index: 0, value: 0, op: EQ}]}]"
    policy cond-block cond "  rules:
$(block 'value: 5, op: GT')"
    # 5. Two block-lists' conditions on one argument beside an allow-list's unconditional
    #    Allow: personality is blocked with bit 3 set (linux32: PER_LINUX32 = 8) or bit 17; the
    #    calls with both clear stay allowed in one rule (linux64: personality(0)). Every
    #    personality call was blocked, and linux64 failed.
    policy two-allow two "$allow_all"
    policy two-block-a two "  rules:
$(block 'value: 8, valueTwo: 8, op: MASKED_EQ')"
    policy two-block-b two "  rules:
$(block 'value: 0x20000, valueTwo: 0x20000, op: MASKED_EQ')"
    # 6. Guardrails that block single values beside an allow-list's Allow, with gaps between
    #    them that are no one comparison: personality blocked at 0 (linux64), 5 and 16; [6, 15]
    #    stays allowed, written as the blocks 6-7 and 8-15 of the low 32 bits (linux32:
    #    PER_LINUX32 = 8). Every personality call was blocked, linux32 too.
    policy gap-allow gap "$allow_all"
    policy gap-block gap "  rules:
$(block 'value: 0, op: EQ')
$(block 'value: 5, op: EQ')
$(block 'value: 16, op: EQ')"
} >>"$tmp/dir/policies.yaml"
pod() { # name profile labels
    cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: demo, labels: {app: $3}}
spec:
  securityContext: {seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/$2.json}}
  containers: [{name: c, image: busybox}]
YAML
}
{ pod p1 hardened x; pod p2 eacces x; pod p3 merged merged; pod p4 cond cond; pod p5 two two; pod p6 gap gap; } >"$tmp/dir/pods.yaml"
if build/kscmp agent --local "$tmp/dir" --kubelet-root "$tmp/root" --metrics-addr off --once 2>"$tmp/agent.log"; then
    pass=$((pass + 1)); echo "ok   the agent wrote the profiles"
else
    fail=$((fail + 1)); echo "FAIL agent --once: $(tail -3 "$tmp/agent.log")"
fi
P=$tmp/root/seccomp/kscmp/demo
add_counts() { # output of a part: adds its closing "N passed, N failed" (none: 1 failed, status 1)
    local p f
    p=$(echo "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
    f=$(echo "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
    [ -n "$f" ]
}
run() { # title, runc-enforce args...
    local title=$1; shift
    local out rc
    out=$(bash tests/enforce/runc-enforce.sh "$@" 2>&1); rc=$?
    if [ $rc = 77 ]; then fail=$((fail + 1)); echo "FAIL $title: runc cannot run here: $(echo "$out" | tail -2)"; return; fi
    add_counts "$out"
    echo "$out" | grep -E '^(PASS|FAIL)' | sed "s|^|  [$title] |"
}
run "runtime/default + Block mkdir" "$P/hardened.json" --allow true --allow 'echo ok' --allow 'ls /' --deny 'mkdir /tmp/x'
run "Block mkdir with EACCES" "$P/eacces.json" --allow true --deny 'mkdir /tmp/x' --message 'Permission denied'
run "merged allow-lists, deny wins" "$P/merged.json" --allow true --allow 'echo ok' --deny 'mkdir /tmp/x' --deny 'rmdir /tmp'
run "disjoint conditions of two policies" "$P/cond.json" --allow true --allow 'linux64 true' --deny 'linux32 true' --no-new-privileges false
run "two conditions beside an unconditional Allow" "$P/two.json" --allow true --allow 'linux64 true' --deny 'linux32 true' --no-new-privileges false
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(a["op"]=="SCMP_CMP_MASKED_EQ" and a["valueTwo"]==8 and a["value"]==0xfffffff8 for s in d["syscalls"] for a in s.get("args",[])) else 1)' "$P/gap.json"; then
    pass=$((pass + 1)); echo "ok   the gap 8-15 is one rule of the low 32 bits"
else
    fail=$((fail + 1)); echo "FAIL gap.json has no rule for 8-15: $(grep -c personality "$P/gap.json" 2>&1)"
fi
run "gaps between guardrails beside an unconditional Allow" "$P/gap.json" --allow true --allow 'linux32 true' --deny 'linux64 true' --no-new-privileges false
# Every profile examples/ and the README's first policy produce, under runc and crun, for
# containers that may gain privileges and for allowPrivilegeEscalation: false.
out=$(python3 tests/enforce/examples.py build/kscmp --jobs 2 2>&1)
echo "$out" | grep -E '^(FAIL|PASS)' | sed 's|^|  [examples] |'
add_counts "$out" || echo "$out" | tail -5
echo "$pass passed, $fail failed"
[ $fail = 0 ]
