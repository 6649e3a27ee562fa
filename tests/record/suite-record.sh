#!/usr/bin/env bash
# `kscmp record`: busybox commands, a known load of a million syscalls from 8 threads (every
# call counted, checked against strace), 32-bit and x32 calls, numbers libseccomp does not
# know, exit statuses and signals passed through, standard streams untouched, leftovers
# waited for, bad usage; without root where the machine lets us drop it.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck disable=SC1091 source=../lib/report.sh source-path=SCRIPTDIR
. tests/lib/report.sh
K=$PWD/build/kscmp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kscmp-record.XXXXXX")
chmod 0755 "$tmp"
bg=
trap '[ -n "$bg" ] && kill -9 "$bg" 2>/dev/null; rm -rf "$tmp"' EXIT
BB=""
for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && BB=$b && break; done
[ -n "$BB" ] || { bad "busybox is not installed (make deps)"; report_finish 1; }

# Runs as an unprivileged user when we are root, so "no root needed" is what is tested.
AS=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
W=$tmp/w # writable by that user
mkdir -p "$W" && chmod 1777 "$W"

# has FILE NAME...: the policy in FILE lists every NAME
has() {
    local f=$1 n
    shift
    for n in "$@"; do grep -qx "    - $n" "$f" || return 1; done
}
# count FILE ARCH NAME: the count of NAME on ARCH in a --counts table
count() { awk -v a="$2" -v n="$3" '$1 == a && $2 == n { print $3 }' "$1"; }

# 1. A busybox command, unprivileged: the policy names what it did and compiles.
out=$("${AS[@]}" "$K" record -o "$W/p1.yaml" --name ls-root -n demo -- "$BB" ls / 2>"$tmp/e1")
rc=$?
if [ $rc = 0 ] && [ -n "$out" ] && has "$W/p1.yaml" execve getdents64 write exit_group; then
    ok "busybox ls ${AS[*]:+as nobody }: policy lists execve, getdents64, write, exit_group"
else
    bad "busybox ls: rc=$rc $(cat "$tmp/e1")"
fi
grep -q '^  name: ls-root$' "$W/p1.yaml" && grep -q '^  namespace: demo$' "$W/p1.yaml" &&
    grep -q '^    action: Allow$' "$W/p1.yaml" && grep -q '^    arch: \[x86_64\]$' "$W/p1.yaml" &&
    ok "SeccompPolicy demo/ls-root, an x86_64 allow-list" || bad "policy shape: $(cat "$W/p1.yaml")"
names=$(sed -n 's/^    - //p' "$W/p1.yaml")
[ "$names" = "$(echo "$names" | LC_ALL=C sort -u)" ] && ok "names sorted, each once" || bad "names not sorted: $names"
"$K" validate -f "$W/p1.yaml" >/dev/null 2>"$tmp/e" && "$K" compile -f "$W/p1.yaml" --policy demo/ls-root \
    --startup-syscalls none >"$tmp/prof1.json" 2>>"$tmp/e" && ok "kscmp validate and compile take it" ||
    bad "recorded policy does not compile: $(cat "$tmp/e")"

# A command found on $PATH: its one execve is recorded, not one per folder tried before it.
PATH="$tmp/no1:$tmp/no2:$(dirname "$BB"):$PATH" "$K" record --counts -o "$W/p1b.yaml" -- "$(basename "$BB")" true 2>"$tmp/c1b"
rc=$?
[ $rc = 0 ] && [ "$(count "$tmp/c1b" x86_64 execve)" = 1 ] &&
    ok "a command found on \$PATH after two folders without it: one execve recorded" ||
    bad "\$PATH search: rc=$rc $(cat "$tmp/c1b")"

# As execvp: a file found first that cannot run (its #! interpreter is missing) is passed over.
mkdir -p "$tmp/bad" && printf '#!/nonexistent/interpreter\n' >"$tmp/bad/$(basename "$BB")" &&
    chmod 0755 "$tmp/bad/$(basename "$BB")"
out=$(PATH="$tmp/bad:$(dirname "$BB"):$PATH" "$K" record -o "$W/p1c.yaml" -- "$(basename "$BB")" echo ran 2>"$tmp/c1c")
rc=$?
[ $rc = 0 ] && [ "$out" = ran ] && ok "a file on \$PATH that cannot run is passed over, as execvp does" ||
    bad "\$PATH with a broken file first: rc=$rc out=$out $(cat "$tmp/c1c")"

# 2. Exit status and signals pass through (128+N, as shells say it).
"$K" record -o "$W/p2.yaml" -- "$BB" sh -c 'exit 7' 2>/dev/null
rc=$?; [ $rc = 7 ] && ok "exit status 7 passed through" || bad "exit 7 gave $rc"
"$K" record -o "$W/p2.yaml" -- "$BB" sh -c 'kill -TERM $$' 2>/dev/null
rc=$?; [ $rc = 143 ] && ok "killed by SIGTERM: 143" || bad "SIGTERM gave $rc"
grep -q 'killed by signal 15' "$W/p2.yaml" && has "$W/p2.yaml" kill &&
    ok "a killed command's policy is still written, and says so" || bad "policy after SIGTERM: $(head -3 "$W/p2.yaml")"
"$K" record -o "$W/p2.yaml" -- "$BB" sh -c 'kill -KILL $$' 2>/dev/null
rc=$?; [ $rc = 137 ] && ok "killed by SIGKILL: 137" || bad "SIGKILL gave $rc"

# 3. Standard input, output and error are the command's own.
got=$(printf 'one\ntwo\n' | "$K" record -o "$W/p3.yaml" -- "$BB" cat 2>/dev/null)
[ "$got" = $'one\ntwo' ] && ok "stdin reaches the command, its stdout is untouched" || bad "cat gave: $got"
got=$("$K" record -o "$W/p3.yaml" -- "$BB" sh -c 'echo to-err >&2' 2>&1 >/dev/null | grep -c to-err)
[ "$got" = 1 ] && ok "its stderr is untouched" || bad "stderr: $got"
got=$("$K" record -- "$BB" echo hello 2>/dev/null | head -1)
[ "$got" = hello ] && ok "without -o the policy follows the command's output" || bad "stdout: $got"

# 4. Children, execs, and what they leave behind: all recorded, all waited for.
"$K" record -o "$W/p4.yaml" -- "$BB" sh -c "$BB mkdir $tmp/d4 && $BB rmdir $tmp/d4" 2>"$tmp/e"
rc=$?
[ $rc = 0 ] && has "$W/p4.yaml" mkdir rmdir wait4 && ok "a grandchild's calls after execve (mkdir, rmdir)" ||
    bad "children: rc=$rc $(cat "$tmp/e")"
"$K" record -o "$W/p5.yaml" -- "$BB" sh -c "( $BB sleep 1; $BB mkdir $tmp/late ) >/dev/null 2>&1 &" 2>"$tmp/e"
rc=$?
[ $rc = 0 ] && [ -d "$tmp/late" ] && has "$W/p5.yaml" mkdir &&
    ok "waits for a process the command left running, and records it" || bad "leftover: rc=$rc $(cat "$tmp/e")"

# 5. A known load: 8 threads, a million syscalls between them; every one counted.
cc -O2 -pthread -o "$tmp/threads" tests/record/threads.c 2>"$tmp/e" || bad "cannot build threads.c: $(cat "$tmp/e")"
if [ -x "$tmp/threads" ]; then
    "${AS[@]}" "$K" record --counts -o "$W/p6.yaml" -- "$tmp/threads" 8 1000000 "$W/expect" 2>"$tmp/c6"
    rc=$?
    missed=0
    while read -r name n; do
        got=$(count "$tmp/c6" x86_64 "$name")
        [ "$got" = "$n" ] || { missed=$((missed + 1)); echo "   $name: made $n, counted ${got:-0}"; }
        has "$W/p6.yaml" "$name" || { missed=$((missed + 1)); echo "   $name not in the policy"; }
    done <"$W/expect"
    total=$(awk '$1 == "total" { print $2 }' "$tmp/c6")
    [ $rc = 0 ] && [ "$(wc -l <"$W/expect")" = 14 ] && [ $missed = 0 ] &&
        ok "1,000,000 calls from 8 threads: each of the 14 known syscalls counted exactly ($total in all)" ||
        bad "known load: rc=$rc, $missed differ"
    # The same program, smaller, under strace at the same time: the same calls, as often.
    if command -v strace >/dev/null; then
        strace -f -qq -o "$tmp/trace" "$K" record --counts -o "$W/p7.yaml" -- "$tmp/threads" 8 16000 "$W/expect7" 2>"$tmp/c7"
        if out=$(python3 tests/record/check_trace.py "$tmp/trace" "$tmp/c7"); then
            ok "strace saw exactly what kscmp record counted: $(echo "$out" | tail -1)"
        else
            bad "strace and kscmp record differ: $out"
        fi
    else
        bad "strace is not installed (make deps)"
    fi
fi

# 6. Architectures: a 32-bit child counts as x86; x32 calls as x32; unknown numbers reported.
# Some kernels run no 32-bit x86 code at all (IA-32 emulation off: execve of an i386 ELF fails
# with ENOEXEC); there the x86 check is skipped, and says so, rather than failed or faked.
if ! { as --32 -o "$tmp/a32.o" tests/record/arch32.S && ld -m elf_i386 -o "$tmp/a32" "$tmp/a32.o"; } 2>"$tmp/e8"; then
    bad "cannot build a 32-bit x86 program (as --32, ld -m elf_i386)" "$(cat "$tmp/e8")"
elif out=$("$tmp/a32" 2>"$tmp/e8"); rc=$?; [ $rc = 5 ] && [ "$out" = x86ok ]; then
    out=$("$K" record --counts -o "$W/p8.yaml" -- "$tmp/a32" 2>"$tmp/c8")
    rc=$?
    [ $rc = 5 ] && [ "$out" = x86ok ] && [ "$(count "$tmp/c8" x86 getpid)" = 1 ] &&
        [ "$(count "$tmp/c8" x86 write)" = 1 ] && [ "$(count "$tmp/c8" x86_64 execve)" = 1 ] &&
        grep -q '^    arch: \[x86_64, x86\]$' "$W/p8.yaml" && has "$W/p8.yaml" getpid write exit execve &&
        ok "a 32-bit program: its calls under x86, its execve under x86_64" ||
        bad "32-bit: rc=$rc $(cat "$tmp/c8") $(cat "$W/p8.yaml")"
elif [ $rc = 126 ] && grep -q 'Exec format error' "$tmp/e8"; then
    skip "a 32-bit program's calls under x86" \
        "this kernel runs no 32-bit x86 programs (execve of a static i386 ELF: Exec format error)"
else
    bad "the 32-bit x86 program did not run as built: exit $rc, output '$out'" "$(cat "$tmp/e8")"
fi
if as -o "$tmp/odd.o" tests/record/oddcalls.S && ld -o "$tmp/odd" "$tmp/odd.o"; then
    "$K" record --counts -o "$W/p9.yaml" -- "$tmp/odd" 2>"$tmp/c9"
    rc=$?
    [ $rc = 0 ] && [ "$(count "$tmp/c9" x32 getpid)" = 1 ] && grep -q '^    arch: \[x86_64, x32\]$' "$W/p9.yaml" &&
        ok "an x32 call counts as x32" || bad "x32: rc=$rc $(cat "$tmp/c9")"
    grep -q 'x86_64: syscall number 1000 has no name in libseccomp' "$tmp/c9" &&
        grep -q '^# x86_64: .*numbers libseccomp has no name for, not allowed below: 1000$' "$W/p9.yaml" &&
        ok "number 1000 reported on stderr and in the policy, not dropped" ||
        bad "unknown number: $(cat "$tmp/c9") $(head -5 "$W/p9.yaml")"
else
    bad "cannot build oddcalls.S"
fi

# 7. Signals sent to kscmp by another process reach the command.
mkfifo "$tmp/fifo"
setsid "$K" record -o "$W/p10.yaml" -- "$BB" sh -c "echo up >$tmp/fifo; exec $BB sleep 60" 2>"$tmp/e10" &
bg=$!
read -r _ <"$tmp/fifo"
kill -TERM "$bg"
wait "$bg"
rc=$?
bg=
[ $rc = 143 ] && [ -s "$W/p10.yaml" ] && ok "SIGTERM to kscmp reaches the command (143), the policy is written" ||
    bad "forwarded SIGTERM: rc=$rc $(cat "$tmp/e10")"
# From a process of kscmp's own process group, as a script's `kill $!` is (no job control):
# the signal went to kscmp alone and is passed on; the command's handler ends it with 7.
rm -f "$tmp/fifo" && mkfifo "$tmp/fifo"
"$K" record -o "$W/p10b.yaml" -- "$BB" sh -c "trap 'exit 7' TERM; echo up >$tmp/fifo; while :; do $BB sleep 0.1; done" 2>"$tmp/e10b" &
bg=$!
(sleep 20 && kill -KILL "$bg" 2>/dev/null) &
dog=$!
exec 3<>"$tmp/fifo" # opened both ways: the read below waits 10 s at most, not for ever
read -t 10 -r _ <&3
exec 3<&-
pgid() { awk '{ sub(/^.*\) /, ""); print $3 }' "/proc/$1/stat" 2>/dev/null; }
same=$(p=$(pgid "$bg") && [ -n "$p" ] && [ "$p" = "$(pgid $$)" ] && echo yes)
kill -TERM "$bg"
wait "$bg"
rc=$?
bg=
kill "$dog" 2>/dev/null
[ "$same" = yes ] && [ $rc = 7 ] && grep -q 'exited with status 7' "$W/p10b.yaml" &&
    ok "SIGTERM to kscmp from its own process group (a script's kill \$!) reaches the command's handler (7)" ||
    bad "SIGTERM from the same group: rc=$rc $(cat "$tmp/e10b") $(head -3 "$W/p10b.yaml")"

# 8. Failures: kscmp's own (125), cannot execute (126), not found (127), usage (2).
"$K" record -o "$W/p11.yaml" -- "$K" record -o "$W/p11b.yaml" -- "$BB" true 2>"$tmp/e11"
rc=$?
[ $rc = 125 ] && grep -q 'already under a seccomp listener' "$tmp/e11" && ok "record inside record: 125, says why" ||
    bad "nested: rc=$rc $(cat "$tmp/e11")"
"$K" record -o "$W/p12.yaml" -- "$tmp/no-such-program" 2>"$tmp/e"
rc=$?; [ $rc = 127 ] && [ ! -e "$W/p12.yaml" ] && ok "not found: 127, nothing written" || bad "not found gave $rc"
printf '#!/bin/sh\n' >"$tmp/noexec"
"$K" record -o "$W/p13.yaml" -- "$tmp/noexec" 2>"$tmp/e"
rc=$?; [ $rc = 126 ] && [ ! -e "$W/p13.yaml" ] && ok "not executable: 126" || bad "not executable gave $rc"
"$K" record -o "$tmp/no/such/dir/p.yaml" -- "$BB" touch "$tmp/ran" 2>"$tmp/e"
rc=$?; [ $rc = 125 ] && [ ! -e "$tmp/ran" ] && ok "an output that cannot be written fails before the command runs" ||
    bad "bad -o: rc=$rc"
# The output's temporary is made when the command is done: the command does not see it in
# its folder, and kscmp killed while the command runs leaves nothing there.
mkdir "$tmp/out18"
(cd "$tmp/out18" && "$K" record -o p18.yaml -- "$BB" ls -a >"$tmp/ls18" 2>"$tmp/e")
rc=$?
[ $rc = 0 ] && [ -s "$tmp/out18/p18.yaml" ] && ! grep -q kscmp "$tmp/ls18" &&
    ok "-o FILE: the command's folder holds no temporary while it runs" ||
    bad "-o temporary seen: rc=$rc $(cat "$tmp/ls18")"
mkdir "$tmp/out19"
"$K" record -o "$tmp/out19/p19.yaml" -- "$BB" sleep 30 2>/dev/null &
k19=$!
sleep 0.5
kill -KILL "$k19"
wait "$k19" 2>/dev/null
[ -z "$(ls -A "$tmp/out19")" ] && ok "kscmp killed while the command runs leaves nothing beside -o FILE" ||
    bad "left behind: $(ls -A "$tmp/out19")"
# A name the temporary ("NAME.kscmp-XXXXXX") cannot have fails before the command runs too.
long=$(printf 'a%.0s' $(seq 250)).yaml
"$K" record -o "$tmp/$long" -- "$BB" touch "$tmp/ran20" 2>"$tmp/e"
rc=$?; [ $rc = 125 ] && [ ! -e "$tmp/ran20" ] && grep -q "too long" "$tmp/e" &&
    ok "-o FILE whose temporary's name would be too long: 125 before the command runs" ||
    bad "long -o: rc=$rc $(cat "$tmp/e")"
# -o onto a FIFO (or a device: as root, -o /dev/null used to replace the machine's /dev/null
# with a regular file) writes in place; onto a symbolic link, into the file it names.
mkfifo "$tmp/fifo16"
cat "$tmp/fifo16" >"$tmp/got16" &
bg=$!
"$K" record -o "$tmp/fifo16" -- "$BB" true 2>"$tmp/e"
rc=$?
[ -p "$tmp/fifo16" ] || kill "$bg" 2>/dev/null # replaced: the reader would wait forever
wait "$bg"
bg=
[ $rc = 0 ] && [ -p "$tmp/fifo16" ] && grep -q '^kind: SeccompPolicy$' "$tmp/got16" &&
    ok "-o FIFO: the policy is written into it, it stays a FIFO" || bad "-o FIFO: rc=$rc $(cat "$tmp/e")"
ln -s p17.yaml "$W/l17.yaml"
"$K" record -o "$W/l17.yaml" -- "$BB" true 2>"$tmp/e"
rc=$?
[ $rc = 0 ] && [ -L "$W/l17.yaml" ] && grep -q '^kind: SeccompPolicy$' "$W/p17.yaml" &&
    ok "-o symbolic link: the file it names gets the policy, the link stays" || bad "-o link: rc=$rc $(cat "$tmp/e")"
for args in "--name Bad_Name -- true" "-n no/slash -- true" "" "--bogus -- true"; do
    # shellcheck disable=SC2086
    "$K" record $args >/dev/null 2>&1
    rc=$?; [ $rc = 2 ] && ok "usage error for 'record $args': 2" || bad "'record $args' gave $rc"
done
"$K" record -o "$W/p14.yaml" -- "$BB" true 2>/dev/null
grep -q '^  name: busybox$' "$W/p14.yaml" && grep -q '^  namespace: default$' "$W/p14.yaml" &&
    ok "default name from the command, namespace default" || bad "default name: $(grep name: "$W/p14.yaml")"
"$K" record -o "$W/p15.yaml" -- "$BB" sh -c 'true' "$(printf 'x\napiVersion: evil')" 2>/dev/null
"$K" validate -f "$W/p15.yaml" >/dev/null 2>&1 && ! grep -q '^apiVersion: evil' "$W/p15.yaml" &&
    ok "a newline in an argument cannot break out of the comment" || bad "comment escaping: $(head -3 "$W/p15.yaml")"

# 9. The recorded policy in a real runtime: compiled (kscmp adds the container runtime's
#    start-up set), run by runc in both modes (noNewPrivileges true, and false as Kubernetes
#    does by default): the same command runs, a call it never made (mkdir) is refused. Without
#    the start-up set the container does not even start: the set is what the engine adds.
if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
    bad "runc cannot run here (needs root and runc): the recorded policy was not tried in a runtime"
else
    cmd="sh -c 'echo ok; ls /'"
    eval "set -- $cmd"
    "$K" record -o "$W/rc.yaml" --name rc -n demo -- "$BB" "$@" >/dev/null 2>"$tmp/e"
    "$K" compile -f "$W/rc.yaml" --policy demo/rc >"$tmp/rc.json" 2>>"$tmp/e" &&
        "$K" compile -f "$W/rc.yaml" --policy demo/rc --startup-syscalls none >"$tmp/rc-none.json" 2>>"$tmp/e" ||
        bad "compile the recorded policy: $(cat "$tmp/e")"
    for nnp in true false; do
        out=$(bash tests/enforce/runc-enforce.sh "$tmp/rc.json" --no-new-privileges "$nnp" \
            --allow "$cmd" --deny 'mkdir /tmp/x' 2>&1)
        if echo "$out" | grep -q '^3 passed, 0 failed$'; then
            ok "runc, noNewPrivileges $nnp: the recorded command runs, mkdir (never recorded) gets EPERM"
        else
            bad "runc, noNewPrivileges $nnp: $(echo "$out" | tail -8)"
        fi
    done
    out=$(bash tests/enforce/runc-enforce.sh "$tmp/rc-none.json" --no-new-privileges false \
        --allow "$cmd" --deny 'mkdir /tmp/x' --no-control 2>&1)
    echo "$out" | grep -q "^FAIL: allowed" &&
        ok "without the start-up set (--startup-syscalls none) runc cannot start it: the engine's set is what makes it run" ||
        bad "the recorded policy ran without the start-up set: $(echo "$out" | tail -5)"
fi

report_finish 0
