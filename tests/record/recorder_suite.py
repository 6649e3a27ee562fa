#!/usr/bin/env python3
"""recorder_suite.py - the cluster recorder (node/recorder.h: the eBPF program, its pins, the
kubelet's pod cgroups) on the real kernel, driven through build/tools/recorder_probe, with real
processes in cgroups laid out as the kubelet's cgroupfs driver lays them out (a throw-away
kubepods tree in this machine's cgroupfs) and a bpffs mounted for the test.

Checks: attribution per container to pods of every QoS class and not to others; 32-bit, x32
and large syscall numbers; a container that is gone before it is read (owner notes);
"persisted" (a gone container is offered until what it did is written); the pinned program
taken over by the next agent, with the calls made while none ran; a pinned program of another
layout replaced, what it gathered carried over; stopped: pins gone. Prints 'ok'/'FAIL' lines
and 'N passed, N failed'. Root needed (CAP_BPF, CAP_PERFMON, cgroupfs, mount)."""
import errno, os, subprocess, sys, tempfile, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = os.path.join(ROOT, "build", "tools", "recorder_probe")
BUSYBOX = next((b for b in ("/bin/busybox", "/usr/bin/busybox") if os.access(b, os.X_OK)), None)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report(why_lines=20)
ok, bad, check = R.ok, R.bad, R.check


class Probe:
    def __init__(self, kubepods, pin=None):
        argv = [PROBE, "--kubepods", kubepods] + (["--pin", pin] if pin else [])
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def cmd(self, line):
        """Sends one command; returns the lines of its answer."""
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = []
        while True:
            l = self.p.stdout.readline()
            if not l or l.strip() == ".":
                return out
            out.append(l.rstrip("\n"))

    def close(self, how="close"):
        out = self.cmd(how)
        self.p.stdin.close()
        self.p.wait(timeout=30)
        return out


def seen(lines, gone=False):
    """{(rec, pod): {"state": ..., "arch": set(names)}} from collect's answer: the running
    containers of each pod together, or (gone=True) the gone ones."""
    out = {}
    for l in lines:
        f = l.split()
        if not f or f[0] != "seen" or (f[3] == "gone") != gone:
            continue
        e = out.setdefault((f[1], f[2]), {"state": f[3]})
        for part in f[4:]:
            arch, _, names = part.partition(":")
            e.setdefault(arch, set()).update(names.split(","))
    return out


class Tree:
    """A kubepods tree: KUBEPODS/{burstable,besteffort}/pod<uid>/<container>, and guaranteed
    pods right below KUBEPODS."""

    def __init__(self, name):
        self.name = name
        self.base = os.path.join("/sys/fs/cgroup/memory", name)
        for q in ("burstable", "besteffort"):
            os.makedirs(os.path.join(self.base, q), exist_ok=True)

    def container(self, uid, qos, c="c1"):
        d = os.path.join(self.base, qos, f"pod{uid}", c) if qos else os.path.join(self.base, f"pod{uid}", c)
        os.makedirs(d, exist_ok=True)
        return d

    def run(self, cg, *argv):
        script = f'echo $$ > {cg}/cgroup.procs && exec "$@"'
        return subprocess.run(["sh", "-c", script, "sh"] + list(argv), capture_output=True, text=True,
                              timeout=60)

    def remove(self):
        for d, _, _ in os.walk(self.base, topdown=False):
            try:
                os.rmdir(d)
            except OSError:
                pass


def assemble(tmp, name, text, m32=False):
    src = os.path.join(tmp, name + ".S")
    with open(src, "w") as f:
        f.write(text)
    obj, exe = src[:-2] + ".o", src[:-2]
    a = subprocess.run(["as"] + (["--32"] if m32 else []) + ["-o", obj, src], capture_output=True)
    l = subprocess.run(["ld"] + (["-m", "elf_i386"] if m32 else []) + ["-o", exe, obj], capture_output=True)
    return exe if a.returncode == 0 and l.returncode == 0 else None


def runs_32bit(exe):
    """True when the 32-bit x86 program runs as built (exit 5, prints x86ok); None when this
    kernel runs no 32-bit x86 code (IA-32 emulation off: execve fails with ENOEXEC); else what
    went wrong."""
    try:
        r = subprocess.run([exe], capture_output=True, text=True, timeout=30)
    except OSError as e:
        return None if e.errno == errno.ENOEXEC else f"execve: {e}"
    except subprocess.TimeoutExpired:
        return "did not end within 30 s"
    return True if r.returncode == 5 and r.stdout == "x86ok\n" else f"exit {r.returncode}, output {r.stdout!r}"


ODD = """    .text
    .globl _start
_start:
    movq $0x40000027, %rax  /* x32 getpid */
    syscall
    movq $5000, %rax        /* beyond the bitmaps: the short list */
    syscall
    movq $231, %rax
    xorq %rdi, %rdi
    syscall
"""


def main():
    if os.geteuid() != 0:
        bad("set-up", "needs root")
        return R.finish()
    if not os.access(PROBE, os.X_OK) or not BUSYBOX:
        bad("set-up", f"{PROBE} or busybox missing (make build/tools/recorder_probe, make deps)")
        return R.finish()
    tmp = tempfile.mkdtemp(prefix="kscmp-recorder.")
    bpffs = os.path.join(tmp, "bpffs")
    os.makedirs(bpffs)
    subprocess.run(["mount", "-t", "bpf", "bpf", bpffs], check=True)
    tree = Tree(f"kscmp-rec-{os.getpid()}")
    try:
        scenario(tree, tmp, os.path.join(bpffs, "pins"))
    finally:
        tree.remove()
        subprocess.run(["umount", bpffs])
        subprocess.run(["rm", "-rf", tmp])
    return R.finish()


def scenario(tree, tmp, pins):
    u = {k: str(uuid.uuid4()) for k in ("burst", "best", "guar", "other", "late")}
    cg = {"burst": tree.container(u["burst"], "burstable"),
          "best": tree.container(u["best"], "besteffort"),
          "guar": tree.container(u["guar"], None),
          "other": tree.container(u["other"], "burstable")}
    p = Probe(tree.name, pins)
    for k in ("burst", "best", "guar"):
        p.cmd(f"track {u[k]} rec-{k}")
    p.cmd(f"other {u['other']}")
    a = p.cmd("apply")
    check(a and a[0].startswith("started loaded pinned"), "a first agent loads the program and pins it", a)
    tree.run(cg["burst"], BUSYBOX, "mkdir", os.path.join(tmp, "d1"))
    tree.run(cg["best"], BUSYBOX, "rmdir", os.path.join(tmp, "d1"))
    tree.run(cg["guar"], BUSYBOX, "hostname")
    tree.run(cg["other"], BUSYBOX, "sync")
    s = seen(p.cmd("collect"))
    check(("rec-burst", u["burst"]) in s and "mkdir" in s[("rec-burst", u["burst"])].get("x86_64", ()),
          "burstable pod: its container's mkdir is recorded, for its recording", s)
    check("rmdir" in s.get(("rec-best", u["best"]), {}).get("x86_64", ()) and
          "uname" in s.get(("rec-guar", u["guar"]), {}).get("x86_64", ()),
          "besteffort and guaranteed pods: rmdir and uname recorded", s)
    check(not any(pod == u["other"] for _, pod in s) and
          not any("sync" in e.get("x86_64", ()) for e in s.values()),
          "a pod that is not recorded: nothing of it reported (sync)", s)
    ign = p.cmd("ignored")
    check(ign == ["ignored 1"], "the container of a pod that is not recorded is ignored", ign)
    # Its container gone, it is ignored no longer (the map is bounded: a busy node's containers
    # that come and go would fill it, and then take room in the map of recorded ones).
    os.rmdir(cg["other"])
    p.cmd("collect")
    ign = p.cmd("ignored")
    check(ign == ["ignored 0"], "a gone container is no longer ignored", ign)

    a32 = assemble(tmp, "a32", open(os.path.join(ROOT, "tests", "record", "arch32.S")).read(), m32=True)
    odd = assemble(tmp, "odd", ODD)
    runs32 = a32 and runs_32bit(a32)
    if not a32 or not odd:
        bad("32-bit and x32 programs could not be built here (as --32, ld -m elf_i386)")
    else:
        if runs32 is True:
            tree.run(cg["burst"], a32)
        elif runs32 is not None:
            bad("the 32-bit x86 program did not run as built", runs32)
        tree.run(cg["burst"], odd)
        e = seen(p.cmd("collect")).get(("rec-burst", u["burst"]), {})
        if runs32 is True:
            check({"getpid", "write", "exit"} <= e.get("x86", set()),
                  "a 32-bit program's calls under x86", e)
        elif runs32 is None:
            R.skip("a 32-bit program's calls under x86",
                   "this kernel runs no 32-bit x86 programs (execve of a static i386 ELF: Exec format error)")
        check("getpid" in e.get("x32", set()), "an x32 call under x32", e)
        check("5000" in e.get("x86_64#", set()),
              "a syscall number beyond the bitmaps (5000) is kept in the short list, reported", e)

    # A container that comes and goes between two reads is still attributed (owner notes), and
    # is offered again until what it did is durable ("persisted").
    late = tree.container(u["burst"], "burstable", "c2")
    tree.run(late, BUSYBOX, "nproc")
    os.rmdir(late)
    s = seen(p.cmd("collect"), gone=True)
    e = s.get(("rec-burst", u["burst"]), {})
    check("sched_getaffinity" in e.get("x86_64", ()),
          "a container gone before it was read: its calls reported, attributed to its pod", s)
    s = seen(p.cmd("collect"), gone=True)
    check(("rec-burst", u["burst"]) in s, "not yet persisted: the gone container is offered again", s)
    p.cmd("collect persisted")
    s = seen(p.cmd("collect persisted"), gone=True)
    check(not s, "persisted: the gone container is forgotten", s)

    # A whole pod that starts, runs and goes between two reads, after which the agent no longer
    # lists it (deleted from the API): the program kept its cgroup's name, so its calls are
    # still attributed.
    p.cmd(f"track {u['burst']} rec-burst")
    p.cmd(f"track {u['late']} rec-late")
    p.cmd("apply")  # its cgroup does not exist yet: nothing noted for it
    short = tree.container(u["late"], "besteffort")
    tree.run(short, BUSYBOX, "uname", "-a")
    os.rmdir(short)
    os.rmdir(os.path.dirname(short))
    p.cmd(f"track {u['burst']} rec-burst")
    p.cmd("apply")
    s = seen(p.cmd("collect"), gone=True)
    check("uname" in s.get(("rec-late", u["late"]), {}).get("x86_64", ()),
          "a pod that came and went between two reads, and was dropped since: its calls still "
          "attributed (the program kept its cgroup's name)", s)
    p.cmd("collect persisted")

    # A container that ran and went before the agent knew its pod (an init container, or one
    # made after a collect's scan of the cgroups): kept for one more collect, so that once the
    # pod is known its calls are still attributed.
    u["new"] = str(uuid.uuid4())
    quick = tree.container(u["new"], "burstable", "init")
    tree.run(quick, BUSYBOX, "uptime")
    os.rmdir(quick)
    s = seen(p.cmd("collect"), gone=True)
    check(not any(pod == u["new"] for _, pod in s), "a gone container of a pod not known: not reported", s)
    p.cmd(f"track {u['burst']} rec-burst")
    p.cmd(f"track {u['new']} rec-new")
    p.cmd("apply")
    s = seen(p.cmd("collect"), gone=True)
    check("sysinfo" in s.get(("rec-new", u["new"]), {}).get("x86_64", ()),
          "its pod known at the next collect: its calls attributed to it (sysinfo)", s)
    p.cmd("collect persisted")
    p.cmd(f"track {u['burst']} rec-burst")
    p.cmd("apply")

    # The agent goes; the pinned program keeps recording; the next agent takes it over.
    p.close()
    tree.run(cg["burst"], BUSYBOX, "chmod", "644", "/dev/null")
    p = Probe(tree.name, pins)
    p.cmd(f"track {u['burst']} rec-burst")
    a = p.cmd("apply")
    check(a and a[0].startswith("started reused pinned"), "the next agent takes the pinned program over", a)
    e = seen(p.cmd("collect")).get(("rec-burst", u["burst"]), {})
    check("chmod" in e.get("x86_64", ()) and "mkdir" in e.get("x86_64", ()),
          "calls made while no agent ran are there (chmod), and the earlier ones (mkdir)", e)

    # A pinned program of another layout: replaced, what it gathered carried over.
    p.cmd("meta-abi 999")
    p.close()
    p = Probe(tree.name, pins)
    p.cmd(f"track {u['burst']} rec-burst")
    a = p.cmd("apply")
    check(a and a[0].startswith("started replaced pinned"),
          "a pinned program of another layout is replaced", a)
    tree.run(cg["burst"], BUSYBOX, "uptime")
    e = seen(p.cmd("collect")).get(("rec-burst", u["burst"]), {})
    check({"chmod", "mkdir", "sysinfo"} <= e.get("x86_64", set()),
          "what the replaced program gathered is carried over (chmod, mkdir), and the new one "
          "records (sysinfo)", e)

    # Stopped: the program detached, the pins gone.
    p.close("destroy")
    check(not os.path.exists(pins) or not os.listdir(pins), "stopped: no pin is left",
          os.listdir(pins) if os.path.exists(pins) else "")


if __name__ == "__main__":
    sys.exit(main())
