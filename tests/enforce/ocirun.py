#!/usr/bin/env python3
"""ocirun.py - run a busybox container under a seccomp profile with runc or crun, the way a
Kubernetes node does it (containerd's shim: `create`, then `start`, the shim being the
container's subreaper and reading its exit status).

As a module: Runner(workdir).run(runtime, profile, args, nnp=..., user=...) -> Result.
As a command:
    ocirun.py RUNTIME PROFILE.json [--nnp] [--user root|nonroot] [--strace FILE] -- ARGS...
prints the container's output and exits with its status (125 when the runtime failed).

The OCI config follows what containerd 1.6 writes for a pod's container (new pid, ipc, uts,
mount and network namespaces; the default Kubernetes capability set; additionalGids; masked
and read-only paths; oomScoreAdj; no terminal; stdin /dev/null, stdout and stderr pipes),
with process.noNewPrivileges from allowPrivilegeEscalation (nnp=True: false in the pod).
The rootfs holds busybox-static and an /etc/passwd and /etc/group, as most images do.

crun 1.8 refuses the "hybrid" cgroup layout (a cgroup2 with controllers at
/sys/fs/cgroup/unified beside the v1 controllers); on such a machine crun runs in a private
mount namespace where that cgroup2 mount is detached, i.e. as on a pure cgroup v1 host. The
cgroup set-up happens before the container's init and does not change its system calls.

The runtime runs with a soft limit of open files below its hard one (1024, as systemd gives a
service that sets none: containerd 2.x's unit no longer sets LimitNOFILE, and containerd's CRI
drops the OCI rlimits, so containers inherit the runtime's). runc 1.2 and later, built with
Go 1.21 or later, then put back that soft limit with prlimit64 after loading the filter.
Needs root, python3 and busybox-static; runtimes that are missing are reported by
available().
"""
import ctypes
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PR_SET_CHILD_SUBREAPER = 36

# The capabilities a Kubernetes container gets by default (containerd and CRI-O).
DEFAULT_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

USERS = {
    # containerd puts the primary group and the image's groups of the user in additionalGids
    "root": {"uid": 0, "gid": 0, "additionalGids": [0, 10]},
    "nonroot": {"uid": 1000, "gid": 3000, "additionalGids": [3000, 4000]},
}

MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def find_busybox():
    for b in ("/bin/busybox", "/usr/bin/busybox"):
        if os.access(b, os.X_OK) and subprocess.run(["ldd", b], capture_output=True).returncode != 0:
            return b
    return None


def hybrid_cgroups():
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return bool(f.read().strip())
    except OSError:
        return False


# Runtimes by name: "runc" and "crun" are the ones on PATH ($KSCMP_RUNC, $KSCMP_CRUN override
# them); register() adds others ("runc-1.4.3" -> a binary), whose kind is their name's prefix.
_RUNTIMES = {"runc": None, "crun": None}


def register(name, path):
    _RUNTIMES[name] = path


def kind(runtime):
    return "crun" if runtime.startswith("crun") else "runc"


def binary(runtime):
    """The runtime's program."""
    return (_RUNTIMES.get(runtime) or os.environ.get("KSCMP_" + runtime.upper())
            or runtime)


def available(names=None):
    """{runtime: None if it can run here, else why not}."""
    out = {}
    for rt in names or list(_RUNTIMES):
        if os.geteuid() != 0:
            out[rt] = "needs root"
        elif not shutil.which(binary(rt)):
            out[rt] = f"{binary(rt)} is not installed"
        elif not find_busybox():
            out[rt] = "busybox-static is not installed"
        elif kind(rt) == "crun" and hybrid_cgroups() and not shutil.which("unshare"):
            out[rt] = "crun needs unshare(1) on a hybrid cgroup host"
        else:
            out[rt] = None
    return out


def upstream(build=True):
    """Registers the upstream runc releases tests/enforce/runtimes.sh builds (once, cached);
    returns (names, None) or ([], why not)."""
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["bash", os.path.join(here, "runtimes.sh")] + ([] if build else ["check"]),
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        return [], p.stderr.strip()[-500:] or f"runtimes.sh exit {p.returncode}"
    names = []
    for line in p.stdout.splitlines():
        name, _, path = line.partition(" ")
        register(name, path)
        names.append(name)
    return names, None


class Result:
    def __init__(self):
        self.started = False  # create and start succeeded: the runtime ran the process
        self.status = None  # exit status of the container process (negative: signal)
        self.output = ""  # what the container wrote to stdout and stderr
        self.runtime_error = ""  # what the runtime said when create or start failed
        self.stage = ""  # "create" or "start" when the runtime failed

    @property
    def ok(self):
        return self.started and self.status == 0

    def describe(self):
        if not self.started:
            return f"{self.stage} failed: {self.runtime_error.strip()[-400:]}"
        if self.status is not None and self.status < 0:
            return f"killed by signal {-self.status}; output: {self.output.strip()[-300:]!r}"
        return f"exit {self.status}; output: {self.output.strip()[-300:]!r}"


_subreaper_set = False
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _next_id():
    with _ids_lock:
        return f"kscmp-{os.getpid()}-{next(_ids)}"


def _runtime_nofile():
    """The soft limit of open files runtimes run with: 1024 below the hard one (or half the
    hard one where that is 1024 or less), so that soft < hard as on a containerd 2.x node."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard > 1024:
        return 1024, hard
    return max(hard // 2, 16), hard


def _become_subreaper():
    global _subreaper_set
    if not _subreaper_set:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        _subreaper_set = True


class Runner:
    """Builds a bundle below workdir and runs containers from it (one at a time per Runner;
    use one Runner per thread)."""

    def __init__(self, workdir, extra=None):
        """extra: {path in the rootfs: host file} copied in (executables)."""
        _become_subreaper()
        self.work = workdir
        self.rootfs = os.path.join(workdir, "rootfs")
        self.state = os.path.join(workdir, "state")
        self.n = 0
        os.makedirs(os.path.join(self.rootfs, "bin"), exist_ok=True)
        os.makedirs(os.path.join(self.rootfs, "etc"), exist_ok=True)
        for d in ("proc", "dev", "sys", "tmp"):
            os.makedirs(os.path.join(self.rootfs, d), exist_ok=True)
        os.makedirs(self.state, exist_ok=True)
        shutil.copy(find_busybox(), os.path.join(self.rootfs, "bin", "busybox"))
        for dst, src in (extra or {}).items():
            shutil.copy(src, os.path.join(self.rootfs, dst.lstrip("/")))
        with open(os.path.join(self.rootfs, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:3000:app:/tmp:/bin/sh\n")
        with open(os.path.join(self.rootfs, "etc", "group"), "w") as f:
            f.write("root:x:0:\nwheel:x:10:root\napp:x:3000:\nextra:x:4000:app\n")

    def config(self, profile, args, nnp, user):
        cfg = {
            "ociVersion": "1.0.2-dev",
            "process": {
                "terminal": False,
                "user": dict(USERS[user]),
                "args": args,
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "HOSTNAME=kscmp-enforce"],
                "cwd": "/",
                "capabilities": {k: list(DEFAULT_CAPS)
                                 for k in ("bounding", "effective", "permitted")},
                "noNewPrivileges": bool(nnp),
                "oomScoreAdj": 1000,
            },
            "root": {"path": self.rootfs, "readonly": False},
            "hostname": "kscmp-enforce",
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc",
                 "options": ["nosuid", "noexec", "nodev"]},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
                {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                             "gid=5"]},
                {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                 "options": ["nosuid", "noexec", "nodev"]},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]},
                {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "mode=1777"]},
                {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            ],
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
                "maskedPaths": MASKED,
                "readonlyPaths": READONLY,
            },
        }
        if profile is not None:
            cfg["linux"]["seccomp"] = profile
        return cfg

    def _cmd(self, runtime, *args):
        if kind(runtime) == "runc":
            return [binary(runtime), "--root", f"{self.state}/{runtime}"] + list(args)
        base = [binary(runtime), "--root", f"{self.state}/{runtime}"] + list(args)
        if hybrid_cgroups():
            # A private mount namespace without the cgroup2 mount that has controllers.
            return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    'umount -l /sys/fs/cgroup/unified && exec "$@"', "sh"] + base
        return base

    def run(self, runtime, profile, args, nnp=False, user="root", timeout=60, strace=None,
            exec_args=None):
        """Runs one container; profile is a dict (linux.seccomp) or None. With exec_args, the
        container runs args (e.g. a sleep) and the result is that of exec_args run in it with
        `RUNTIME exec` (as kubectl exec and exec probes do). strace: a file to which
        `strace -f` writes what the runtime did (create, or exec)."""
        self.n += 1
        cid = _next_id()  # unique in the process: runc names the cgroup after it
        bundle = os.path.join(self.work, f"bundle-{self.n}")
        os.makedirs(bundle)
        res = Result()
        pids = []
        try:
            cfg = self.config(profile, args, nnp, user)
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(cfg, f)
            st = None if exec_args else strace
            main = self._launch(res, runtime, bundle,
                                ["create", "--bundle", bundle, "--pid-file", "@PID", cid],
                                timeout, st)
            if main is None:
                return res
            pid, reader, proc = main
            pids.append(pid)
            start = subprocess.run(self._cmd(runtime, "start", cid), capture_output=True,
                                   text=True, timeout=timeout)
            if start.returncode != 0:
                res.stage = "start"
                res.runtime_error = start.stdout + start.stderr + reader.take(wait=False)
                return res
            if exec_args:
                # As on a node, where exec comes long after start: the first process has
                # become the container's program (or ended) before exec goes in.
                _wait_exec(pid, args[0], timeout)
                with open(os.path.join(bundle, "process.json"), "w") as f:
                    json.dump(dict(cfg["process"], args=exec_args), f)
                ex = self._launch(res, runtime, bundle,
                                  ["exec", "--detach", "--pid-file", "@PID", "--process",
                                   os.path.join(bundle, "process.json"), cid],
                                  timeout, strace, stage="exec")
                if ex is None:
                    return res
                pid, reader, proc = ex
                pids.append(pid)
            res.started = True
            res.status = _reap(pid, timeout)
            pids.remove(pid)
            if proc is not None:
                proc.wait(timeout=timeout)
            res.output = reader.take(wait=True)
            return res
        finally:
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            # All at once: a dying pid 1 waits for the other processes of its namespace to be
            # reaped, and we are their subreaper.
            _reap_all(pids, 10)
            subprocess.run(self._cmd(runtime, "delete", "--force", cid), capture_output=True)
            shutil.rmtree(bundle, ignore_errors=True)

    def _launch(self, res, runtime, bundle, args, timeout, strace, stage="create"):
        """Runs `RUNTIME create` or `RUNTIME exec --detach` with a pid file; (pid, reader of
        its output, the strace process or None), or None with res telling why."""
        pidfile = os.path.join(bundle, f"{stage}.pid")
        args = [pidfile if a == "@PID" else a for a in args]
        out_r, out_w = os.pipe()
        soft, hard = _runtime_nofile()
        hard_text = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        cmd = ["prlimit", f"--nofile={soft}:{hard_text}", "--"] + self._cmd(runtime, *args)
        if strace:
            cmd = ["strace", "-f", "-qq", "-s", "128", "-o", os.path.abspath(strace)] + cmd
        with open(os.devnull, "rb") as devnull:
            p = subprocess.Popen(cmd, stdin=devnull, stdout=out_w, stderr=out_w, cwd=bundle)
        os.close(out_w)
        reader = _Reader(out_r)
        # Under strace the command lasts until the container process exits: wait for the pid
        # file (written once the runtime is done) instead.
        deadline = time.monotonic() + timeout
        while True:
            rc = p.poll()
            if rc is not None:
                break
            if strace and os.path.exists(pidfile) and os.path.getsize(pidfile) > 0:
                break
            if time.monotonic() > deadline:
                p.kill()
                p.wait()
                res.stage, res.runtime_error = stage, "timed out"
                return None
            time.sleep(0.005)
        if rc not in (None, 0) or not os.path.exists(pidfile):
            if rc is None:
                p.wait(timeout=timeout)
            res.stage = stage
            res.runtime_error = reader.take(wait=True)
            return None
        for _ in range(100):  # the runtime writes the pid file by a rename
            try:
                with open(pidfile) as f:
                    pid = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.01)
        else:
            res.stage, res.runtime_error = stage, "no pid file"
            return None
        return pid, reader, (p if strace else None)


def _wait_exec(pid, program, timeout):
    """Waits until process pid runs program (its cmdline starts with it) or is gone."""
    deadline = time.monotonic() + timeout
    want = program.encode() + b"\0"
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{pid}/stat") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return
        if zombie or cmd.startswith(want):
            return
        time.sleep(0.005)


def _reap(pid, timeout):
    """Waits for our orphaned child pid (we are its subreaper); its status."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if got == pid:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            timeout += 10
        time.sleep(0.005)


def _reap_all(pids, timeout):
    pending = set(pids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for p in list(pending):
            try:
                got, _ = os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                got = p
            if got == p:
                pending.discard(p)
        time.sleep(0.005)


class _Reader:
    """Reads a pipe in a thread, so that a chatty container cannot block on it."""

    def __init__(self, fd):
        self.fd, self.buf = fd, []
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        kept = 0
        while True:
            b = os.read(self.fd, 65536)
            if not b:
                break
            self.buf.append(b)
            kept += len(b)
            while kept > 262144 and len(self.buf) > 1:  # the last 256 KiB are enough
                kept -= len(self.buf.pop(0))
        os.close(self.fd)

    def take(self, wait):
        if wait:
            self.t.join(30)
        return b"".join(self.buf).decode(errors="replace")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runtime", help="runc, crun, or a path to another runc")
    ap.add_argument("profile", help="a LinuxSeccomp JSON file, or - for none")
    ap.add_argument("--nnp", action="store_true", help="process.noNewPrivileges: true")
    ap.add_argument("--user", choices=list(USERS), default="root")
    ap.add_argument("--strace", help="write strace -f output of the runtime here")
    ap.add_argument("--exec", dest="exec_args", help="run ARGS as the container, and this "
                    "command (split at spaces) in it with RUNTIME exec")
    ap.add_argument("args", nargs="+")
    a = ap.parse_args(argv)
    if "/" in a.runtime:
        register("runc-" + os.path.basename(a.runtime), a.runtime)
        a.runtime = "runc-" + os.path.basename(a.runtime)
    why = available([a.runtime])[a.runtime]
    if why:
        print(f"ocirun: cannot run {a.runtime}: {why}", file=sys.stderr)
        return 77
    prof = None
    if a.profile != "-":
        with open(a.profile) as f:
            prof = json.load(f)
    with tempfile.TemporaryDirectory(prefix="kscmp-ocirun.") as work:
        r = Runner(work).run(a.runtime, prof, ["/bin/busybox"] + a.args, nnp=a.nnp,
                             user=a.user, strace=a.strace,
                             exec_args=["/bin/busybox"] + a.exec_args.split()
                             if a.exec_args else None)
    sys.stdout.write(r.output)
    if not r.started:
        print(f"ocirun: {a.runtime} {r.stage} failed: {r.runtime_error.strip()}", file=sys.stderr)
        return 125
    return r.status if r.status is not None and r.status >= 0 else 128 - (r.status or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
