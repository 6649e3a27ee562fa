#!/usr/bin/env python3
"""gen_profiles.py - a reproducible corpus of OCI seccomp profiles of many shapes.

    gen_profiles.py DIR [--count N] [--seed S] [--names FILE]

Writes N profiles (default 1200) into DIR as p-00000.json ...: the shapes libseccomp's program
generation treats differently, so that two builds of libseccomp can be compared on them
(tests/proof/suite-libseccomp-build.sh): runtime/default-like allow-lists of hundreds of calls
with a few taken out or turned into errors, small lists of mixed actions, rules with argument
conditions of every operator (several per call, and several rules per call), lists large
enough that the program needs long jumps and copies of return blocks, some over the kernel's
4096 instructions, architecture sets from one to six (little-endian: one filter holds one byte order), multiplexed calls (socketcall and ipc
on x86), names no architecture knows, and conflicting rules that libseccomp refuses.
--names: a file of syscall names, one per line (default: a built-in list).
"""
import argparse
import json
import os
import random

ACTIONS = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
           "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"]
DEFAULTS = ["SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_ALLOW",
            "SCMP_ACT_LOG", "SCMP_ACT_TRAP"]
OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
       "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]
ARCH_SETS = [["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], ["SCMP_ARCH_X86_64"],
             ["SCMP_ARCH_X86"], ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], ["SCMP_ARCH_RISCV64"],
             ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
              "SCMP_ARCH_ARM", "SCMP_ARCH_RISCV64"],
             ["SCMP_ARCH_PPC64LE"]]
BUILTIN = """accept accept4 access alarm bind brk capget capset chdir chmod chown clock_gettime
clock_nanosleep clone clone3 close connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_pwait epoll_wait eventfd eventfd2 execve execveat exit exit_group
faccessat faccessat2 fadvise64 fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync
fgetxattr flock fork fstat fstatfs fsync ftruncate futex getcwd getdents getdents64 getegid
geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresuid getrlimit getrusage getsid getsockname getsockopt gettid
gettimeofday getuid getxattr inotify_add_watch inotify_init1 inotify_rm_watch ioctl kill lchown
link linkat listen lseek lstat madvise membarrier memfd_create mincore mkdir mkdirat mknod mlock
mmap mount mprotect mremap msync munlock munmap nanosleep newfstatat open openat openat2 pause
pipe pipe2 poll ppoll prctl pread64 preadv prlimit64 pselect6 ptrace pwrite64 pwritev read
readahead readlink readlinkat readv reboot recvfrom recvmmsg recvmsg rename renameat renameat2
rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait sched_getaffinity sched_yield seccomp select semctl semget semop
sendfile sendmmsg sendmsg sendto set_robust_list set_tid_address setgid setgroups setitimer
setns setpgid setpriority setregid setresgid setresuid setreuid setrlimit setsid setsockopt
setuid shmat shmctl shmdt shmget shutdown sigaltstack socket socketpair splice stat statfs statx
symlink symlinkat sync syncfs sysinfo tee tgkill time timer_create timer_delete timer_settime
timerfd_create timerfd_settime times tkill truncate umask umount2 uname unlink unlinkat unshare
utimensat vfork wait4 waitid write writev socketcall ipc _llseek _newselect fstat64 mmap2
stat64 ugetrlimit arch_prctl bpf kexec_load keyctl add_key perf_event_open swapon""".split()


def action_fields(rng, action, default):
    """An action that differs from the default (libseccomp refuses a rule that equals it)."""
    while action == default:
        action = rng.choice(ACTIONS)
    out = {"action": action}
    if action in ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE") and rng.random() < 0.8:
        out["errnoRet"] = rng.choice([1, 13, 38, 95, 4094])
    return out


def arg(rng):
    op = rng.choice(OPS)
    a = {"index": rng.randrange(6), "value": rng.choice([0, 1, 2, 7, 0x40, 0xffff, 2**32 - 1,
                                                           2**32, 2**63 - 1, rng.randrange(2**63)]),
         "op": op}
    if op == "SCMP_CMP_MASKED_EQ":
        a["valueTwo"] = rng.choice([0, 1, 0xff, 2**32 - 1])
    return a


def runtime_like(rng, names, default):
    allowed = [n for n in names if rng.random() < 0.92]
    blocks = [{"names": sorted(allowed), "action": "SCMP_ACT_ALLOW"}]
    for _ in range(rng.randrange(0, 6)):
        picks = rng.sample(names, rng.randrange(1, 4))
        picks = [n for n in picks if n not in allowed] or [rng.choice(names)]
        blocks.append({"names": picks, **action_fields(rng, "SCMP_ACT_ERRNO", default)})
    if rng.random() < 0.5:  # the clone/personality style of runtime/default: conditions
        for call in rng.sample([n for n in names if n not in allowed] or names, 2):
            blocks.append({"names": [call], "action": "SCMP_ACT_ALLOW",
                           "args": [arg(rng) for _ in range(rng.randrange(1, 3))]})
    return blocks


def small(rng, names, default):
    blocks = []
    for _ in range(rng.randrange(1, 12)):
        b = {"names": rng.sample(names, rng.randrange(1, 8)), **action_fields(
            rng, rng.choice(ACTIONS), default)}
        if rng.random() < 0.4:
            b["args"] = [arg(rng) for _ in range(rng.randrange(1, 4))]
        blocks.append(b)
    return blocks


def conditional(rng, names, default, calls, conds, args_max=3):
    blocks = []
    for call in rng.sample(names, min(calls, len(names))):
        for _ in range(rng.randrange(1, conds + 1)):
            blocks.append({"names": [call],
                           "args": [arg(rng) for _ in range(rng.randrange(1, args_max + 1))],
                           **action_fields(rng, rng.choice(ACTIONS), default)})
    return blocks


def profile(rng, names, k):
    default = rng.choice(DEFAULTS)
    kind = k % 6
    if kind in (0, 1):
        blocks = runtime_like(rng, names, default)
    elif kind == 2:
        blocks = small(rng, names, default)
    elif kind == 3:
        blocks = conditional(rng, names, default, rng.randrange(5, 60), 3, 2)
    elif kind == 4:  # long jumps, copies of return blocks; some past 4096 instructions
        blocks = conditional(rng, names, default, rng.randrange(60, 250), 4, 1)
    else:
        blocks = runtime_like(rng, names, default) + small(rng, names, default)
    if rng.random() < 0.02:  # a name no architecture knows: refused
        blocks[0]["names"].append("kscmp_no_such_call")
    # Many rules of several conditions each on one call can make libseccomp 2.5.4 run for
    # minutes (in _db_tree_put; the agent's proof workers have a CPU limit for that): the
    # large ones here have one condition per rule and one to three architectures.
    arches = rng.choice(ARCH_SETS[:3] if kind == 4 else ARCH_SETS)
    p = {"defaultAction": default, "architectures": arches, "syscalls": blocks}
    if default == "SCMP_ACT_ERRNO" and rng.random() < 0.7:
        p["defaultErrnoRet"] = rng.choice([1, 38])
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--names")
    a = ap.parse_args()
    names = BUILTIN
    if a.names:
        with open(a.names) as f:
            names = sorted({line.strip() for line in f if line.strip()} | set(BUILTIN))
    generate(a.dir, a.count, a.seed, names)


def generate(d, count, seed, names=BUILTIN):
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    for k in range(count):
        with open(os.path.join(d, f"p-{k:05d}.json"), "w") as f:
            json.dump(profile(rng, names, k), f)


if __name__ == "__main__":
    main()
