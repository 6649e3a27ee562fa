"""harness.py - drives the real `kscmp agent --local` process for the integration suites.

Shared by test_agent.py (behaviour), crash.py (SIGKILL safety), tests/fakeapi/test_fakeapi.py
(run_tests) and bench/bench_agent.py (figures). Python 3.11 standard library only.

Everything waits by polling with a deadline (wait_until), never by a fixed sleep.
"""
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSCMP = os.path.abspath(os.environ.get("KSCMP", os.path.join(REPO, "build", "kscmp")))
SECCOMP_LOAD = os.path.join(REPO, "build", "tools", "seccomp_load")
TMP_MARK = ".kscmp-tmp-"


def snapshot_binary():
    """Runs everything from a private copy of build/kscmp, so that a rebuild while a suite
    runs (the linker rewriting the file) cannot make a start fail. Returns the copy's folder
    (the caller removes it)."""
    global KSCMP
    d = tempfile.mkdtemp(prefix="kscmp-bin-")
    dst = os.path.join(d, "kscmp")
    for _ in range(10):  # a copy taken while the linker writes it does not run: again
        shutil.copy2(KSCMP, dst)
        try:
            if subprocess.run([dst, "agent", "--help"], capture_output=True,
                              timeout=30).returncode == 0:
                break
        except OSError:
            pass
        time.sleep(1)
    KSCMP = dst
    return d


class Timeout(AssertionError):
    pass


class CountingResult(unittest.TextTestResult):
    """Prints the agent's log of a test that failed: the (path, text) pairs of the test's
    `logs`, which its tearDown kept."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.bad = set()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.bad.add(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.bad.add(test.id())

    def stopTest(self, test):
        super().stopTest(test)
        if test.id() in self.bad:
            for path, text in getattr(test, "logs", []):
                self.stream.write(f"---- agent log {path} (last 6000 bytes) ----\n"
                                  f"{text[-6000:]}\n")
            self.stream.flush()


def run_tests(case, names=()):
    """Runs the tests of the unittest.TestCase class case (only those whose id contains one of
    names, when any is given), one line each, then a line per skipped test and its reason and
    `N passed, N failed` last (a skipped test counts in neither); returns the exit status."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    if names:
        suite = unittest.TestSuite(t for t in suite if any(a in t.id() for a in names))
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult).run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    for t, why in res.skipped:
        print(f"skipped: {t.id()}: {why}")
    print(f"{res.testsRun - failed - skipped} passed, {failed} failed")
    return 1 if failed else 0


def wait_until(pred, timeout=10.0, what="condition", interval=0.005):
    """Polls pred() until it returns something truthy; returns it, or raises Timeout."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Timeout(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def write_atomic(path, text):
    """Writes a file the way editors and kubectl-style tools do: temporary, then rename."""
    d, base = os.path.split(path)
    tmp = os.path.join(d, "." + base + ".new")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=5.0):
    """(status, body) of GET http://127.0.0.1:port/path; (0, error) when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
        return 0, str(e)


def parse_metrics(text):
    """Prometheus text -> {"name{labels}": float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        try:
            out[key] = float(val)
        except ValueError:
            pass
    return out


def histogram(metrics, name):
    """[(upper bound, cumulative count)], sum, count of a Prometheus histogram."""
    buckets = []
    for k, v in metrics.items():
        m = re.fullmatch(re.escape(name) + r'_bucket\{le="([^"]+)"\}', k)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets.append((le, v))
    buckets.sort()
    return buckets, metrics.get(name + "_sum", 0.0), metrics.get(name + "_count", 0.0)


def histogram_quantile(buckets, q):
    """The q-quantile of cumulative buckets, interpolated linearly inside a bucket (as
    Prometheus' histogram_quantile does)."""
    if not buckets or buckets[-1][1] <= 0:
        return float("nan")
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return buckets[-1][0]


class Agent:
    """One `kscmp agent --local DIR --kubelet-root ROOT` process, its log in a file."""

    def __init__(self, local, root, logpath, extra=(), prefix=(), env=None):
        """prefix: a command the agent runs under (e.g. setpriv to drop to another user);
        env: variables set for it on top of this process's."""
        self.local, self.root, self.logpath, self.extra = local, root, logpath, list(extra)
        self.prefix = list(prefix)
        self.env = dict(os.environ, **env) if env else None
        self.proc = None
        self.port = None

    def start(self, wait_ready=True, timeout=20.0):
        for _ in range(5):
            self.port = free_port()
            log = open(self.logpath, "ab")
            log.write(f"==== start on port {self.port}\n".encode())
            log.flush()
            self.log_start = log.tell()
            self.proc = subprocess.Popen(
                self.prefix + [KSCMP, "agent", "--local", self.local, "--kubelet-root", self.root,
                 "--metrics-addr", f"127.0.0.1:{self.port}"] + self.extra,
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=self.env)
            log.close()
            # Up once /healthz answers (or it exited: a port taken since free_port()).
            wait_until(lambda: self.proc.poll() is not None or self.get("/healthz")[0] == 200,
                       timeout, "/healthz of the agent")
            if self.proc.poll() is None:
                break
            if "cannot listen" not in self.log():
                raise AssertionError(f"the agent exited {self.proc.returncode} at start:\n"
                                     + self.log()[-3000:])
        else:
            raise AssertionError("no free metrics port after 5 tries")
        if wait_ready:
            self.wait_ready(timeout)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def get(self, path):
        return http_get(self.port, path)

    def wait_ready(self, timeout=20.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"the agent exited {self.proc.returncode}:\n"
                                     + self.log()[-3000:])
            return self.get("/readyz")[0] == 200
        wait_until(ready, timeout, "/readyz 200")

    def metrics(self):
        status, body = self.get("/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}: {body[:200]}")
        return parse_metrics(body)

    def metric(self, key):
        return self.metrics().get(key, 0.0)

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def log_mark(self):
        """An offset into the log; log_since(mark) is what came after it."""
        return os.path.getsize(self.logpath)

    def log_since(self, mark):
        with open(self.logpath, "rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace")

    def wait_log(self, pattern, mark=0, timeout=10.0):
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log_since(mark)), timeout,
                          f"log line /{pattern}/")

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends sig and waits; returns the exit status (negative: killed by a signal)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the agent did not stop within {timeout} s of signal {sig}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def store_dir(root):
    return os.path.join(root, "seccomp", "kscmp")


def profiles_on_disk(root):
    """{"NS/NAME.json": bytes} of the regular files below seccomp/kscmp (temporaries and
    anything else that is not NS/NAME.json excluded)."""
    out = {}
    base = store_dir(root)
    try:
        namespaces = os.listdir(base)
    except FileNotFoundError:
        return out
    for ns in namespaces:
        d = os.path.join(base, ns)
        if os.path.islink(d) or not os.path.isdir(d):
            continue
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        for n in names:
            if n.startswith(".") or not n.endswith(".json"):
                continue
            p = os.path.join(d, n)
            try:
                with open(p, "rb") as f:
                    out[f"{ns}/{n}"] = f.read()
            except FileNotFoundError:
                pass
    return out


def temporaries(root):
    """Paths of temporary files (ours: ".NAME.json.kscmp-tmp-XXXXXX") below seccomp/kscmp."""
    found = []
    for dirpath, _dirs, files in os.walk(store_dir(root)):
        found += [os.path.join(dirpath, f) for f in files if TMP_MARK in f]
    return found


def compile_profile(policies, pods, rel):
    """What `kscmp compile` says kscmp/REL must hold (bytes), or raises with its stderr."""
    p = subprocess.run([KSCMP, "compile", "-f", policies, "--pod", pods,
                        "--profile", "kscmp/" + rel], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"kscmp compile --profile kscmp/{rel} exit {p.returncode}: "
                             + p.stderr.decode(errors="replace"))
    return p.stdout


def seccomp_load(paths):
    """(ok, output) of build/tools/seccomp_load on the files; None when the tool is absent."""
    if not os.access(SECCOMP_LOAD, os.X_OK) or not paths:
        return None
    p = subprocess.run([SECCOMP_LOAD] + list(paths), capture_output=True, timeout=120)
    return p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")


# inotify through libc, for waiting on a profile's new bytes without burning a CPU.
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100


class Inotify:
    def __init__(self):
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def add(self, path, mask=IN_MOVED_TO | IN_CLOSE_WRITE):
        wd = self.libc.inotify_add_watch(self.fd, path.encode(), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
        return wd

    def wait(self, timeout):
        """Names of the events that arrive within timeout (empty list: none)."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        names = []
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        i = 0
        while i < len(buf):
            _wd, _mask, _cookie, n = struct.unpack_from("iIII", buf, i)
            names.append(buf[i + 16:i + 16 + n].rstrip(b"\0").decode())
            i += 16 + n
        return names

    def close(self):
        os.close(self.fd)


def rename_exchange(a, b):
    """Swaps the two paths atomically (renameat2 RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), a)


def proc_status(pid):
    """{"VmRSS": kB, "VmHWM": kB, ...} of /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                out[k] = int(v.split()[0])
    return out


def pending_input(pid):
    """Bytes waiting in the standard input of process pid: a proof worker's job sent, not read
    yet (0 when it cannot be seen)."""
    try:
        fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
        return struct.unpack("i", buf)[0]
    finally:
        os.close(fd)


def cpu_seconds(pid):
    """User and system CPU seconds the process has used (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def is_json(data):
    try:
        json.loads(data)
        return True
    except ValueError:
        return False


def enospc(e):
    return isinstance(e, OSError) and e.errno == errno.ENOSPC
