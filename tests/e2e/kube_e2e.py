"""kube_e2e.py - helpers for the real-cluster suites (suite-e2e.sh, suite-node.sh, ...) and
bench/bench_kube.py.

Python 3 standard library only. A Cluster wraps a control plane started by cluster.sh (its
env file, an HTTPS client with the admin client certificate, kubectl); an Agent runs
`kscmp agent` against it as a process and reads its /metrics; a ScenarioReport counts the
checks of a suite of scenarios. Waits poll with a deadline (wait_until), never a fixed sleep.
"""
import http.client
import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from report import Report  # noqa: E402

VECTORS = os.path.normpath(os.environ.get("KSCMP_VECTORS", os.path.join(REPO, "..", "shared", "vectors")))
KSCMP = os.path.abspath(os.environ.get("KSCMP", os.path.join(REPO, "build", "kscmp")))
CLUSTER_SH = os.path.join(HERE, "cluster.sh")


class Timeout(AssertionError):
    pass


def poll_until(fetch, done, timeout=20.0, interval=0.05):
    """Calls fetch() until done(value) holds or timeout seconds have passed, and returns the
    last value either way: for a check that reports what it saw rather than raising."""
    deadline = time.monotonic() + timeout
    while True:
        v = fetch()
        if done(v) or time.monotonic() >= deadline:
            return v
        time.sleep(interval)
        interval = min(interval * 1.3, 0.25)


def wait_until(pred, timeout=20.0, what="condition", interval=0.05):
    """Polls pred() until it returns something truthy and returns that. pred may also return
    (False, why): the last why goes into the Timeout message."""
    last = None

    def done(v):
        nonlocal last
        if isinstance(v, tuple) and len(v) == 2 and v[0] is False:
            last = v[1]
            return False
        return bool(v)

    v = poll_until(pred, done, timeout, interval)
    if done(v):
        return v
    raise Timeout(f"timed out after {timeout:.0f} s waiting for {what}"
                  + (f" (last: {last})" if last else ""))


def http_get(host, port, path, timeout):
    """(status, body as text) of a plain HTTP GET: an agent's /healthz, /readyz, /metrics."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vectors_runner():
    """The conformance runner's module (check_profile, effective), imported, not copied."""
    sys.path.insert(0, VECTORS)
    keep = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ in the shared folder
    try:
        import run as vector_run  # noqa: E402
    finally:
        sys.path.pop(0)
        sys.dont_write_bytecode = keep
    return vector_run


def read_env_file(path):
    env = {}
    for line in open(path):
        m = re.match(r"\s*export\s+([A-Za-z_0-9]+)=(.*)$", line)
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            env[m.group(1)] = v
    return env


class ApiError(Exception):
    pass


def require(cond, why):
    """An AssertionError saying why unless cond holds (a step's check)."""
    if not cond:
        raise AssertionError(why)


class Abort(Exception):
    """A step failed: the rest of its scenario is skipped."""


class Stop(BaseException):
    """The suite is stopped (its time is up): no further scenario runs."""


class ScenarioReport(Report):
    """The report of a suite of scenarios, its counts also kept in counts_path (read by the
    wrapper script, which prints the closing line): check() and step() end the scenario
    (Abort) on a failure, soft() does not; known() is a check that a known gap elsewhere
    makes fail, XFAIL and not counted unless KSCMP_E2E_STRICT=1."""

    def __init__(self, counts_path, why_lines=30):
        super().__init__(why_lines=why_lines, counts_path=counts_path)
        self.xfails = []

    def info(self, text):
        print(f"#    {text}", flush=True)

    def check(self, cond, name, why=""):
        """ok, or FAIL and Abort."""
        if not super().check(cond, name, why):
            raise Abort(name)
        return cond

    def soft(self, cond, name, why=""):
        """Like check, but the scenario goes on."""
        return super().check(cond, name, why)

    def known(self, ok, name, why, gap):
        """A check that fails because of a known gap (gap says which: an agent bug, say)."""
        if ok:
            self.ok(name + " (was a known gap: drop the xfail)")
        elif os.environ.get("KSCMP_E2E_STRICT") == "1":
            self.bad(name, f"{why}\nknown gap: {gap}")
        else:
            self.xfails.append(name)
            print(f"XFAIL {name}\n     {why}\n     known gap, not counted (KSCMP_E2E_STRICT=1 counts it): {gap}",
                  flush=True)

    def scenario(self, name, fn, *args):
        """Runs the scenario fn(*args) between a `# NAME` line and one with its seconds: a check
        or step that failed in it (Abort) ends it, any other error is a FAIL too; Stop goes on
        up."""
        t0 = time.monotonic()
        print(f"# {name}", flush=True)
        try:
            fn(*args)
        except Abort:
            pass
        except Stop:
            raise
        except Exception as e:  # noqa: BLE001 - every failure is a test failure
            self.bad(f"{name}: unexpected error", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}")
        print(f"#   {name}: {time.monotonic() - t0:.1f} s", flush=True)

    @staticmethod
    def stop_on_term():
        """SIGTERM (the suite's time is up) raises Stop."""
        def on_term(sig, frame):
            raise Stop()
        signal.signal(signal.SIGTERM, on_term)

    def step(self, name, fn, *args, **kw):
        """Runs fn; ok when it returns (returns what it did), FAIL (and Abort) when it raises."""
        try:
            v = fn(*args, **kw)
        except Stop:
            raise
        except Exception as e:  # noqa: BLE001 - every failure is a test failure
            detail = f"{type(e).__name__}: {e}"
            if not isinstance(e, (AssertionError, RuntimeError, ApiError)):
                detail += "\n" + traceback.format_exc(limit=4)
            self.bad(name, detail)
            raise Abort(name) from e
        self.ok(name)
        return v


class Cluster:
    """A control plane made by cluster.sh start DIR."""

    def __init__(self, d):
        self.dir = os.path.abspath(d)
        self._conn = None
        self.reload()

    @classmethod
    def start(cls, d, watch_cache=True, extra_args=None, log=None):
        env = dict(os.environ, KSCMP_E2E_WATCH_CACHE="1" if watch_cache else "0")
        if extra_args:
            env["KSCMP_E2E_APISERVER_ARGS"] = extra_args
        p = subprocess.run(["bash", CLUSTER_SH, "start", d], env=env, capture_output=True,
                           text=True, timeout=180)
        if log:
            log(p.stderr.strip())
        if p.returncode != 0:
            raise RuntimeError(f"cluster.sh start {d} failed: {p.stderr.strip()[-800:]}")
        return cls(d)

    def reload(self):
        self.env = read_env_file(os.path.join(self.dir, "env"))
        self.server = self.env["KSCMP_E2E_SERVER"]
        u = urllib.parse.urlsplit(self.server)
        self.host, self.port = u.hostname, u.port
        pki = os.path.join(self.dir, "pki")
        self.ca = os.path.join(pki, "ca.crt")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.kubeconfig = os.path.join(self.dir, "admin.kubeconfig")
        self.close()

    def close(self):
        if self._conn:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def sh(self, *args, timeout=120):
        """cluster.sh CMD DIR [ARGS]: returns stdout; raises on failure."""
        cmd = ["bash", CLUSTER_SH, args[0], self.dir] + list(args[1:])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"cluster.sh {args[0]} failed: {p.stderr.strip()[-800:]}")
        if args[0] in ("restart-apiserver", "start-apiserver", "stop-apiserver", "kill-apiserver"):
            self.reload()
        return p.stdout

    def port_listening(self):
        """True while a socket listens on the API server's port (/proc/net/tcp*)."""
        hexport = f":{self.port:04X}"
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = open(f).read().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                parts = line.split()
                if len(parts) > 3 and parts[1].endswith(hexport) and parts[3] == "0A":
                    return True
        return False

    def restart_apiserver(self, kill=False):
        """cluster.sh stop-apiserver (or kill-apiserver), then start-apiserver once the port is
        free: a SIGKILLed kube-apiserver can look gone to cluster.sh (its command line is empty)
        a moment before the kernel closes its listening socket, and then the new one fails with
        "address already in use". Returns the seconds the API server was away."""
        t0 = time.monotonic()
        self.sh("kill-apiserver" if kill else "stop-apiserver")
        wait_until(lambda: not self.port_listening(), 30, "the API server's port to be free")
        for attempt in (1, 2, 3):
            try:
                self.sh("start-apiserver", timeout=150)
                break
            except RuntimeError as e:
                if attempt == 3 or "address already in use" not in str(e):
                    raise
                wait_until(lambda: not self.port_listening(), 30, "the API server's port to be free")
                time.sleep(1)
        return time.monotonic() - t0

    def stop(self):
        self.close()
        subprocess.run(["bash", CLUSTER_SH, "stop", self.dir], capture_output=True, timeout=120)

    # ---- direct HTTPS, admin client certificate ----
    def api(self, method, path, body=None, ctype=None, timeout=20, token=None, raw=False):
        """One request on a kept-alive connection (a second try on a fresh one if the kept one
        went stale). Returns (status, decoded JSON or text)."""
        headers = {"Accept": "application/json", "User-Agent": "kscmp-e2e"}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            headers["Content-Type"] = ctype or "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        for attempt in (1, 2):
            conn = None
            try:
                if token:  # never reuse the admin connection for a token request
                    ctx = ssl.create_default_context(cafile=self.ca)
                    conn = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=timeout)
                else:
                    if self._conn is None:
                        self._conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                                 timeout=timeout)
                    conn = self._conn
                    conn.timeout = timeout
                    if conn.sock:
                        conn.sock.settimeout(timeout)
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                text = resp.read().decode(errors="replace")
                status = resp.status
                if token:
                    conn.close()
                break
            except (OSError, http.client.HTTPException) as e:
                if token and conn:
                    conn.close()
                else:
                    self.close()
                if attempt == 2:
                    raise ApiError(f"{method} {path}: {e}") from e
        if raw:
            return status, text
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def get(self, path, **kw):
        return self.api("GET", path, **kw)

    def get_ok(self, path):
        st, obj = self.api("GET", path)
        return obj if st == 200 else None

    def kubectl(self, *args, input=None, timeout=60, kubeconfig=None):
        env = dict(os.environ, KUBECONFIG=kubeconfig or self.kubeconfig)
        return subprocess.run(["kubectl", "--request-timeout=30s"] + list(args), input=input,
                              capture_output=True, text=True, timeout=timeout, env=env)

    def kubectl_ok(self, *args, **kw):
        p = self.kubectl(*args, **kw)
        if p.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {p.stderr.strip()[-600:]}")
        return p.stdout

    def apply_objects(self, objs, *extra):
        """kubectl apply -f - of JSON objects; returns the CompletedProcess."""
        text = "\n".join(json.dumps(o) for o in objs)
        return self.kubectl("apply", "-f", "-", *extra, input=text)

    def yaml_to_objects(self, path):
        """YAML manifests to JSON objects, by kubectl (no YAML parser in the standard library)."""
        p = self.kubectl("create", "--dry-run=client", "--validate=false", "-o", "json", "-f", path)
        if p.returncode != 0:
            raise RuntimeError(f"cannot read {path}: {p.stderr.strip()[-400:]}")
        return split_json_stream(p.stdout)

    def wait_crds(self, names, timeout=60):
        for n in names:
            self.kubectl_ok("wait", "--for", "condition=Established", f"--timeout={timeout}s", "crd/" + n,
                            timeout=timeout + 10)

    def sa_kubeconfig(self, ns, sa, out, duration="2h"):
        self.sh("sa-kubeconfig", ns, sa, out, duration)

    def create_token(self, ns, sa, duration="2h"):
        return self.kubectl_ok("-n", ns, "create", "token", sa, "--duration", duration).strip()

    def events(self, ns, pod=None, reason=None):
        sel = []
        if pod:
            sel.append("involvedObject.name=" + pod)
        if reason:
            sel.append("reason=" + reason)
        q = "?fieldSelector=" + urllib.parse.quote(",".join(sel)) if sel else ""
        st, obj = self.get(f"/api/v1/namespaces/{ns}/events{q}")
        return obj.get("items", []) if st == 200 and isinstance(obj, dict) else []

    def metrics_text(self):
        st, text = self.api("GET", "/metrics", raw=True, timeout=30)
        if st != 200:
            raise ApiError(f"/metrics: HTTP {st}")
        return text


def split_json_stream(text):
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        if obj.get("kind") == "List":
            out.extend(obj.get("items", []))
        else:
            out.append(obj)
    return out


def policy(ns, name, syscalls=None, action="Allow", selector=None, extends=None, rules=None,
           kind="SeccompPolicy", ns_selector=None, default=None, ceiling=False):
    """A policy object of kind (SeccompPolicy, ClusterSeccompPolicy, KubeArmorSeccompPolicy):
    spec.seccomp when syscalls is given, and each other field given."""
    group = "security.kubearmor.com/v1" if kind == "KubeArmorSeccompPolicy" else "kscmp.io/v1"
    meta = {"name": name}
    if kind != "ClusterSeccompPolicy":
        meta["namespace"] = ns
    spec = {}
    if syscalls is not None:
        spec["seccomp"] = {"syscalls": list(syscalls), "action": action}
    if selector is not None:
        spec["selector"] = selector
    if ns_selector is not None:
        spec["namespaceSelector"] = ns_selector
    if extends:
        spec["extends"] = extends
    if rules:
        spec["rules"] = rules
    if default:
        spec["defaultAction"] = default
    if ceiling:
        spec["ceiling"] = True
    return {"apiVersion": group, "kind": kind, "metadata": meta, "spec": spec}


def policy_path(kind, ns, name, status=False):
    """API path of a policy (kind as in the manifests)."""
    if kind == "ClusterSeccompPolicy":
        p = f"/apis/kscmp.io/v1/clusterseccomppolicies/{name}"
    elif kind == "KubeArmorSeccompPolicy":
        p = f"/apis/security.kubearmor.com/v1/namespaces/{ns}/kubearmorseccomppolicies/{name}"
    else:
        p = f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies/{name}"
    return p + ("/status" if status else "")


def ready_condition(obj):
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return None


def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)", line)
        if m:
            try:
                out[m.group(1)] = float(m.group(2))
            except ValueError:
                pass
    return out


class Agent:
    """`kscmp agent` as a child process; PIDs are appended to `registry` so that the suite's
    shell trap can end them if Python is killed."""

    def __init__(self, name, kubeconfig, node, root, logdir, arch=None, registry=None, extra=None):
        self.name, self.kubeconfig, self.node, self.root = name, kubeconfig, node, root
        self.arch, self.registry, self.extra = arch, registry, extra or []
        self.log_path = os.path.join(logdir, f"agent-{name}.log")
        self.port = None
        self.proc = None
        self.starts = 0

    @property
    def profiles(self):
        return os.path.join(self.root, "seccomp", "kscmp")

    def path(self, rel):
        """rel: NS/NAME.json (or kscmp/NS/NAME.json)."""
        if rel.startswith("kscmp/"):
            rel = rel[len("kscmp/"):]
        return os.path.join(self.profiles, rel)

    def read(self, rel):
        try:
            with open(self.path(rel), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        self.port = free_port()
        argv = [KSCMP, "agent", "--kubeconfig", self.kubeconfig, "--node-name", self.node,
                "--kubelet-root", self.root, "--metrics-addr", f"127.0.0.1:{self.port}"] + self.extra
        if self.arch:
            argv += ["--arch", self.arch]
        log = open(self.log_path, "a")
        log.write(f"---- start {time.strftime('%H:%M:%S')}: {shlex.join(argv)}\n")
        log.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1
        if self.registry:
            with open(self.registry, "a") as f:
                f.write(f"{self.proc.pid}\n")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _get(self, path, timeout=2):
        return http_get("127.0.0.1", self.port, path, timeout)

    def ready(self):
        if not self.alive():
            return False
        try:
            st, _ = self._get("/readyz")
            return st == 200
        except OSError:
            return False

    def wait_ready(self, timeout=20):
        def pred():
            if self.proc.poll() is not None:
                raise AssertionError(f"agent {self.name} exited with {self.proc.returncode}: "
                                     f"{self.log_tail()}")
            return self.ready()
        return wait_until(pred, timeout, f"agent {self.name} /readyz")

    def metrics(self):
        st, text = self._get("/metrics", timeout=5)
        if st != 200:
            raise AssertionError(f"/metrics: HTTP {st}")
        return parse_metrics(text)

    def metric(self, name):
        return self.metrics().get(name, 0.0)

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def kill(self):
        """SIGKILL, and wait for it."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit code (SIGKILL after timeout: returns None)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return None
        return self.proc.returncode

    def log_text(self):
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    def log_tail(self, n=15):
        return "\n".join(self.log_text().splitlines()[-n:])

    def rss_kib(self):
        """(VmRSS, VmHWM) in KiB."""
        vals = {}
        for line in open(f"/proc/{self.proc.pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                vals[k] = int(v.split()[0])
        return vals.get("VmRSS", 0), vals.get("VmHWM", 0)


def profile_files(agent):
    """Every file below the agent's profile folder, relative to it."""
    out = []
    for d, _, files in os.walk(agent.profiles):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), agent.profiles))
    return sorted(out)
