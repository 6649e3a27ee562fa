#!/usr/bin/env python3
"""bench_scale.py - N agents on one API server: status writes, request rates, fan-out, memory.

usage: python3 bench/bench_scale.py --agents N [--namespaces 100] [--policies-per-ns 10]
                                    [--pods 5000] [--changes 60] [--kubectl-changes 5]
                                    [--steady SECONDS (420)] [--json FILE]

Figures, not pass/fail. One control plane from tests/e2e/cluster.sh (etcd + kube-apiserver;
no kubelet: pods are bound to nodes by spec.nodeName and stay Pending), the CRDs, the
Namespace and RBAC of deploy/ (01, 02; not the ValidatingAdmissionPolicy of 05, which needs a
token bound to a pod), one ServiceAccount token shared by N `kscmp agent` processes, each with
its own --node-name (a Node object each, with the kscmp.io/agent-not-ready taint it removes)
and its own --kubelet-root. The cluster holds --namespaces namespaces, each with
--policies-per-ns policies (the first, "base", selects every pod of its namespace; the others
are named allow-lists that pods reference as kscmp/NS/pK.json), and --pods pods spread
round-robin over the nodes. Measured:

  1. cold start: every agent started at once on the populated cluster; time until the last
     one answers /readyz, and the status patches it took to mark --namespaces x
     --policies-per-ns policies Ready (the API server's count).
  2. steady state (--steady seconds, nothing changing; each watch is renewed every 240-360 s,
     so a window shorter than that undercounts): each agent's requests per minute (its
     kscmp_api_requests_total), the API server's count of requests from everyone but this
     script, its watches (apiserver_longrunning_requests{verb="WATCH"}, and
     apiserver_registered_watchers when the server still has it) and its CPU
     (process_cpu_seconds_total); each agent's VmRSS and its proof workers'.
  3. changes: --changes HTTPS merge-PATCHes (admin client certificate, kept-alive connection;
     the clock starts before the request is sent) of one namespace's "base" policy, which
     every node has a file of, rotating over 10 namespaces; each change gives a distinct
     allow-list, and the next one is made once its status is written. Per change, the time
     until the new file is renamed into place (its data fsync()ed; inotify) on the last node,
     and on the first; status patches per change (API
     server's count of PATCH seccomppolicies/status answered 200, and the agents'
     kscmp_status_patches_total; and all sent, those refused with 409 included),
     the API server's CPU per change. Then --kubectl-changes `kubectl apply` changes (the clock
     starts before kubectl is spawned).

Last line: agents=N patches_per_change=X apply_to_last_file_p99_ms=Y rss_mib=Z
(Y: HTTPS PATCH -> file durable on the last node, p99; Z: the largest agent VmRSS in steady
state). Exit 0 unless the harness fails. Python 3 standard library only; needs build/kscmp and
the e2e tools (tests/e2e/tools.sh).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import select
import shutil
import ssl
import statistics
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from kube_e2e import parse_metrics, wait_until  # noqa: E402
from bench_kube import pct  # noqa: E402
import kube_cluster  # noqa: E402
from kube_cluster import policy as policy_obj  # noqa: E402

TAINT = "kscmp.io/agent-not-ready"
# Allowed by no other policy and in neither start-up set, so each subset makes other bytes.
ROT = ["mlock", "munlock", "mincore", "msync", "getpriority", "setpriority", "sysinfo", "times",
       "syncfs", "getrusage"]
NAMED = ["read", "write", "exit_group", "nanosleep", "clock_gettime", "brk", "munmap", "lseek",
         "pread64", "pwrite64", "readv", "writev", "dup", "dup3", "pipe2", "uname", "getrandom"]
IN_MOVED_TO = 0x80


def say(*a):
    print(*a, flush=True)


def stats(xs):
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": pct(xs, 50), "p90": pct(xs, 90), "p99": pct(xs, 99), "max": max(xs),
            "min": min(xs), "mean": statistics.fmean(xs)}


def fmt_ms(s):
    if not s.get("n"):
        return "no samples"
    return f"p50 {s['p50']:.0f} ms, p90 {s['p90']:.0f} ms, p99 {s['p99']:.0f} ms, max {s['max']:.0f} ms (n={s['n']})"


class Inotify:
    """One inotify descriptor, many folders: which (folder, name) pairs were renamed into."""

    def __init__(self):
        import ctypes
        import ctypes.util
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.ctypes = ctypes
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.wd = {}

    def add(self, folder):
        wd = self.libc.inotify_add_watch(self.fd, folder.encode(), IN_MOVED_TO)
        if wd < 0:
            raise OSError(self.ctypes.get_errno(), f"inotify_add_watch {folder}")
        self.wd[wd] = folder

    def drain(self):
        try:
            while os.read(self.fd, 1 << 16):
                pass
        except BlockingIOError:
            pass

    def wait_all(self, want, deadline):
        """want: set of (folder, name). Returns {(folder, name): perf_counter() when seen} once
        every one was seen, or what was seen by the deadline."""
        seen = {}
        while len(seen) < len(want):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                break
            t = time.perf_counter()
            try:
                buf = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                continue
            i = 0
            while i + 16 <= len(buf):
                wd, mask, _, ln = struct.unpack_from("iIII", buf, i)
                n = buf[i + 16:i + 16 + ln].split(b"\0", 1)[0].decode()
                i += 16 + ln
                k = (self.wd.get(wd), n)
                if mask & IN_MOVED_TO and k in want and k not in seen:
                    seen[k] = t
        return seen

    def close(self):
        os.close(self.fd)


class Poster:
    """Creates objects over a few HTTPS connections of its own (admin client certificate)."""

    def __init__(self, c, threads=3):
        self.c, self.threads = c, threads
        self.local = threading.local()

    def _conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = http.client.HTTPSConnection(self.c.host, self.c.port, context=self.c.ctx, timeout=60)
        return self.local.conn

    def _one(self, path, obj):
        body = json.dumps(obj).encode()
        for attempt in range(5):
            try:
                conn = self._conn()
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json",
                                                               "Accept": "application/json"})
                r = conn.getresponse()
                text = r.read()
                if r.status in (200, 201, 409):
                    return
                if r.status == 429 or r.status >= 500:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise RuntimeError(f"POST {path}: HTTP {r.status} {text[:300]!r}")
            except (OSError, http.client.HTTPException):
                self.local.conn = None
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"POST {path}: gave up after 5 tries")

    def post_all(self, items):
        ex = concurrent.futures.ThreadPoolExecutor(self.threads)
        try:
            for f in [ex.submit(self._one, p, o) for p, o in items]:
                f.result()
        finally:  # an error or ^C: what is not started yet is dropped
            ex.shutdown(wait=True, cancel_futures=True)


def base_syscalls(i):
    """The base policy's allow-list for change i (i >= 1): a distinct subset of ROT each time."""
    return ["getpid"] + [ROT[b] for b in range(len(ROT)) if (i >> b) & 1]


def pod_obj(ns, name, ref, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench"}},
            "spec": {"nodeName": node, "securityContext": {"seccompProfile": {"type": "Localhost",
                                                                              "localhostProfile": ref}},
                     "tolerations": [{"key": TAINT, "operator": "Exists"}],
                     "containers": [{"name": "main", "image": "registry.invalid/bench:1"}]}}


def api_metrics(c):
    return parse_metrics(c.metrics_text())


def msum(m, name, **labels):
    """Sum of a metric's series whose labels include the given ones."""
    tot = 0.0
    for k, v in m.items():
        if k == name or k.startswith(name + "{"):
            if all(f'{lk}="{lv}"' in k for lk, lv in labels.items()):
                tot += v
    return tot


def status_patches(m):
    """Status patches the API server answered 200: the writes."""
    return msum(m, "apiserver_request_total", verb="PATCH", resource="seccomppolicies", subresource="status",
                code="200")


def status_attempts(m):
    """Every status patch, those refused with 409 (another node wrote first) included."""
    return msum(m, "apiserver_request_total", verb="PATCH", resource="seccomppolicies", subresource="status")


def all_requests(m):
    return msum(m, "apiserver_request_total")


def watches(m):
    lr = msum(m, "apiserver_longrunning_requests", verb="WATCH")
    rw = msum(m, "apiserver_registered_watchers")
    return lr, rw


def proc_status(pid):
    vals = {}
    try:
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                vals[k] = int(v.split()[0])
    except OSError:
        pass
    return vals


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def agents_sum(agents, name):
    tot = 0.0
    for a in agents:
        try:
            tot += a.metric(name)
        except Exception:  # noqa: BLE001  an agent that does not answer counts 0
            pass
    return tot


def status_current(c, ns, name):
    st, obj = c.api("GET", f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies/{name}")
    return st == 200 and (obj.get("status") or {}).get("observedGeneration") == obj["metadata"].get("generation")


def quiet(c, agents, seconds=4.0, limit=300):
    """Waits until neither the API server's count of status patches nor the agents' request
    counts have moved for `seconds`. Returns the seconds waited."""
    def snap():
        return (status_patches(api_metrics(c)), agents_sum(agents, "kscmp_api_requests_total"))
    return kube_cluster.until_still(snap, seconds, limit, 1.0)[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--policies-per-ns", type=int, default=10)
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument("--changes", type=int, default=60)
    ap.add_argument("--kubectl-changes", type=int, default=5)
    ap.add_argument("--steady", type=float, default=420)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.policies_per_ns < 2:
        raise SystemExit("--policies-per-ns: at least 2 (a base policy and a named one)")
    n_agents, nns, ppn = args.agents, args.namespaces, args.policies_per_ns
    try:  # each agent holds two inotify instances (its profile folders, its token file)
        limit = int(open("/proc/sys/fs/inotify/max_user_instances").read())
        if limit < 2 * n_agents + 64:
            raise SystemExit(f"fs.inotify.max_user_instances is {limit}: {n_agents} agents of one user need about "
                             f"{2 * n_agents + 64} (sysctl -w fs.inotify.max_user_instances={4 * n_agents + 128})")
    except OSError:
        pass
    t_begin = time.monotonic()
    kscmp, scratch, cdir = kube_cluster.prepare("kscmp-bench-scale.")
    # A private copy: a rebuild of build/kscmp while this runs cannot change what runs.
    binary = os.path.join(scratch, "kscmp")
    shutil.copy2(kscmp, binary)
    os.environ["KSCMP"] = binary
    import kube_e2e
    kube_e2e.KSCMP = binary
    c = None
    agents = []
    out = {"agents": n_agents, "namespaces": nns, "policies": nns * ppn, "pods": args.pods}
    try:
        c, kc = kube_cluster.start(cdir, scratch, "4h")
        apid = int(c.env["KSCMP_E2E_APISERVER_PID"])
        say(f"# cluster up: {c.server}; {n_agents} agents, {nns * ppn} policies in {nns} namespaces, "
            f"{args.pods} pods")
        nodes = [f"node-{i:03d}" for i in range(n_agents)]
        poster = Poster(c)
        t0 = time.perf_counter()
        poster.post_all([("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
                                            "spec": {"taints": [{"key": TAINT, "effect": "NoSchedule"}]}})
                         for n in nodes])
        poster.post_all([("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                 "metadata": {"name": f"scale-{k:03d}"}}) for k in range(nns)])
        items = []
        for k in range(nns):
            ns = f"scale-{k:03d}"
            items.append((f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies",
                          policy_obj(ns, "base", base_syscalls(0), {"matchLabels": {"app": "bench"}})))
            for j in range(1, ppn):
                calls = sorted({NAMED[(k + j + x) % len(NAMED)] for x in range(3 + j % 4)})
                items.append((f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies", policy_obj(ns, f"p{j}", calls)))
        poster.post_all(items)
        # Pod i: namespace i % nns, file p(1 + (i // nns) % (ppn - 1)), node i % N.
        expected = {}  # (node, ns) -> set of file names
        items = []
        for i in range(args.pods):
            k = i % nns
            ns = f"scale-{k:03d}"
            pol = f"p{1 + (i // nns) % (ppn - 1)}"
            node = nodes[(i // nns) % n_agents]
            items.append((f"/api/v1/namespaces/{ns}/pods", pod_obj(ns, f"pod-{i:05d}", f"kscmp/{ns}/{pol}.json", node)))
            expected.setdefault((node, ns), set()).add(pol + ".json")
        poster.post_all(items)
        out["populate_s"] = time.perf_counter() - t0
        files_per_node = statistics.fmean(sum(len(v) for (n, _), v in expected.items() if n == node) for node in nodes)
        say(f"# populated in {out['populate_s']:.0f} s: {n_agents} Nodes, {nns} namespaces, {nns * ppn} policies, "
            f"{args.pods} pods ({args.pods / n_agents:.0f} per node, {files_per_node:.0f} files per node)")

        # The API server's own traffic (its controllers, leases), before any agent runs.
        b0, tb0 = all_requests(api_metrics(c)), time.monotonic()
        time.sleep(30)
        out["apiserver_requests_per_min_without_agents"] = (all_requests(api_metrics(c)) - b0 - 1) * 60 / (
            time.monotonic() - tb0)

        # ---- 1. cold start, all at once
        m0 = api_metrics(c)
        w0 = watches(m0)[0]
        cpu0 = cpu_seconds(apid)
        for n in nodes:
            agents.append(kube_cluster.agent(n, n, os.path.join(scratch, "roots", n), scratch, kc))
        t0 = time.perf_counter()
        for a in agents:
            a.start()
        ready_at = []
        for a in agents:
            a.wait_ready(timeout=600)
            ready_at.append(time.perf_counter() - t0)
        out["cold_start_last_ready_s"] = max(ready_at)
        wait_until(lambda: kube_cluster.statuses_done(c), 600, "every policy's status", interval=2)
        out["cold_start_status_done_s"] = time.perf_counter() - t0
        waited = quiet(c, agents)
        m1 = api_metrics(c)
        out["cold_start_status_patches"] = status_patches(m1) - status_patches(m0)
        out["cold_start_status_attempts"] = status_attempts(m1) - status_attempts(m0)
        out["cold_start_requests"] = all_requests(m1) - all_requests(m0)
        out["cold_start_apiserver_cpu_s"] = cpu_seconds(apid) - cpu0
        missing = 0
        for (node, ns), names in expected.items():
            root = os.path.join(scratch, "roots", node, "seccomp", "kscmp", ns)
            missing += sum(1 for nm in names if not os.path.exists(os.path.join(root, nm)))
        say(f"cold start: every agent ready {out['cold_start_last_ready_s']:.1f} s after they were started "
            f"(median {statistics.median(ready_at):.1f} s); every status written after "
            f"{out['cold_start_status_done_s']:.0f} s, quiet {waited:.0f} s later; files missing: {missing}")
        say(f"  status patches to mark {nns * ppn} policies: {out['cold_start_status_patches']:.0f} "
            f"({out['cold_start_status_patches'] / (nns * ppn):.2f} per policy; with those refused "
            f"because another node wrote first: {out['cold_start_status_attempts'] / (nns * ppn):.2f}); requests "
            f"{out['cold_start_requests']:.0f} ({out['cold_start_requests'] / n_agents:.0f} per agent); "
            f"API server CPU {out['cold_start_apiserver_cpu_s']:.1f} s")

        # ---- 2. steady state
        time.sleep(5)
        r0 = {a.name: a.metric("kscmp_api_requests_total") for a in agents}
        rl0 = agents_sum(agents, "kscmp_watch_relists_total")
        m0 = api_metrics(c)
        cpu0 = cpu_seconds(apid)
        t0 = time.monotonic()
        time.sleep(args.steady)
        secs = time.monotonic() - t0
        r1 = {a.name: a.metric("kscmp_api_requests_total") for a in agents}
        m1 = api_metrics(c)
        cpu1 = cpu_seconds(apid)
        per_min = [(r1[n] - r0[n]) * 60 / secs for n in r0]
        # This script's own requests in the window: the /metrics GET that ends it.
        others = all_requests(m1) - all_requests(m0) - 1
        lr, rw = watches(m1)
        out["steady"] = {
            "seconds": secs, "agent_requests_per_min": stats(per_min),
            "apiserver_requests_per_min": others * 60 / secs,
            "apiserver_cpu_percent": 100 * (cpu1 - cpu0) / secs,
            "watches_longrunning": lr, "registered_watchers": rw, "watches_before_agents": w0,
            "watches_per_agent": (lr - w0) / n_agents,
            "relists": agents_sum(agents, "kscmp_watch_relists_total") - rl0,
        }
        s = out["steady"]
        say(f"steady state ({secs:.0f} s, nothing changing): requests per agent per minute: mean "
            f"{s['agent_requests_per_min']['mean']:.2f}, min {s['agent_requests_per_min']['min']:.2f}, "
            f"max {s['agent_requests_per_min']['max']:.2f} (watch renewals, every 240-360 s each)")
        base = out["apiserver_requests_per_min_without_agents"]
        s["apiserver_requests_per_min_per_agent"] = (s["apiserver_requests_per_min"] - base) / n_agents
        say(f"  API server: {s['apiserver_requests_per_min']:.1f} requests/min from everyone ({base:.1f} before the "
            f"agents started: {s['apiserver_requests_per_min_per_agent']:.2f} per agent), CPU {s['apiserver_cpu_percent']:.1f}% "
            f"of a core; watches open {lr:.0f} (apiserver_longrunning_requests WATCH; {w0:.0f} before the agents "
            f"started: {(lr - w0) / n_agents:.1f} per agent)"
            + (f", registered watchers {rw:.0f}" if rw else "") + f"; relists {s['relists']:.0f}")
        rss, anon, wk = [], [], []
        for a in agents:
            st = proc_status(a.proc.pid)
            rss.append(st.get("VmRSS", 0) / 1024)
            anon.append(st.get("RssAnon", 0) / 1024)
            wk.append(sum(proc_status(p).get("VmRSS", 0) for p in children(a.proc.pid)) / 1024)
        out["rss_mib"] = stats(rss)
        out["rss_anon_mib"] = stats(anon)
        out["proof_workers_rss_mib"] = stats(wk)
        say(f"memory per agent: VmRSS mean {statistics.fmean(rss):.1f} MiB, max {max(rss):.1f} MiB "
            f"(private RssAnon mean {statistics.fmean(anon):.1f} MiB); its proof workers together: mean "
            f"{statistics.fmean(wk):.1f} MiB")

        # ---- 3. changes
        change_ns = [f"scale-{k:03d}" for k in range(min(10, nns))]
        ino = Inotify()
        want_by_ns = {}
        for ns in change_ns:
            want_by_ns[ns] = set()
            for node in nodes:
                folder = os.path.join(scratch, "roots", node, "seccomp", "kscmp", ns)
                names = expected.get((node, ns), set())
                if names:
                    ino.add(folder)
                    want_by_ns[ns] |= {(folder, nm) for nm in names}
        m0 = api_metrics(c)
        sp0 = agents_sum(agents, "kscmp_status_patches_total")
        cpu0 = cpu_seconds(apid)
        last, first, rtt = [], [], []
        nchg = 0
        for i in range(args.changes):
            ns = change_ns[i % len(change_ns)]
            body = json.dumps({"spec": {"seccomp": {"syscalls": base_syscalls(i + 1)}}})
            ino.drain()
            t0 = time.perf_counter()
            st, _ = c.api("PATCH", f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies/base", body,
                          ctype="application/merge-patch+json")
            t_resp = time.perf_counter()
            if st != 200:
                raise RuntimeError(f"PATCH base in {ns}: HTTP {st}")
            seen = ino.wait_all(want_by_ns[ns], t0 + 60)
            if len(seen) < len(want_by_ns[ns]):
                raise RuntimeError(f"change {i}: {len(want_by_ns[ns]) - len(seen)} of {len(want_by_ns[ns])} "
                                   "files not rewritten within 60 s")
            nchg += 1
            last.append((max(seen.values()) - t0) * 1000)
            first.append((min(seen.values()) - t0) * 1000)
            rtt.append((t_resp - t0) * 1000)
            # The next change only once this one's status is written: each change then pays
            # for its own status (else a change overtaken by the next needs none).
            wait_until(lambda: status_current(c, ns, "base"), 60, f"the status of {ns}/base", interval=0.1)
        wait_until(lambda: kube_cluster.statuses_done(c), 300, "every policy's status after the changes", interval=1)
        quiet(c, agents)
        m1 = api_metrics(c)
        cpu1 = cpu_seconds(apid)
        out["patches_per_change"] = (status_patches(m1) - status_patches(m0)) / nchg
        out["patch_attempts_per_change"] = (status_attempts(m1) - status_attempts(m0)) / nchg
        out["agent_status_patches_per_change"] = (agents_sum(agents, "kscmp_status_patches_total") - sp0) / nchg
        out["apiserver_cpu_ms_per_change"] = 1000 * (cpu1 - cpu0) / nchg
        out["patch_to_last_file_ms"] = stats(last)
        out["patch_to_first_file_ms"] = stats(first)
        out["patch_round_trip_ms"] = stats(rtt)
        say(f"change -> file on every node ({nchg} HTTPS PATCHes of a policy every node has a file of, "
            f"{len(want_by_ns[change_ns[0]])} files each):")
        say(f"  last node's file:  {fmt_ms(out['patch_to_last_file_ms'])}")
        say(f"  first node's file: {fmt_ms(out['patch_to_first_file_ms'])}")
        say(f"  the PATCH round trip: {fmt_ms(out['patch_round_trip_ms'])}")
        say(f"  status patches per change (each change's status written before the next change): "
            f"{out['patches_per_change']:.2f} written (API server's count of 200s), "
            f"{out['agent_status_patches_per_change']:.2f} (agents' kscmp_status_patches_total); "
            f"{out['patch_attempts_per_change']:.2f} sent, those refused with 409 included; "
            f"API server CPU per change {out['apiserver_cpu_ms_per_change']:.0f} ms")
        klast = []
        for i in range(args.kubectl_changes):
            ns = change_ns[i % len(change_ns)]
            obj = policy_obj(ns, "base", base_syscalls(args.changes + 1 + i), {"matchLabels": {"app": "bench"}})
            ino.drain()
            t0 = time.perf_counter()
            p = subprocess.run(["kubectl", "--kubeconfig", c.kubeconfig, "apply", "-f", "-"], input=json.dumps(obj),
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"kubectl apply: {p.stderr}")
            seen = ino.wait_all(want_by_ns[ns], t0 + 60)
            if len(seen) < len(want_by_ns[ns]):
                raise RuntimeError(f"kubectl change {i}: files not rewritten within 60 s")
            klast.append((max(seen.values()) - t0) * 1000)
        ino.close()
        if klast:
            out["kubectl_apply_to_last_file_ms"] = stats(klast)
            say(f"  with `kubectl apply` (kubectl's start included): last node's file "
                f"{fmt_ms(out['kubectl_apply_to_last_file_ms'])}")
        dead = [a.name for a in agents if not a.alive()]
        if dead:
            say(f"agents that exited: {', '.join(dead)}")
        out["total_s"] = time.monotonic() - t_begin
        say(f"# {out['total_s'] / 60:.1f} minutes in all")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=2)
        say(f"agents={n_agents} patches_per_change={out['patches_per_change']:.2f} "
            f"apply_to_last_file_p99_ms={out['patch_to_last_file_ms']['p99']:.0f} "
            f"rss_mib={out['rss_mib']['max']:.1f}")
    finally:
        kube_cluster.teardown(c, cdir, agents, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
