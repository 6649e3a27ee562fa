#!/usr/bin/env python3
"""bench_node.py - figures for kscmp on a real node (kubelet, containerd, runc): figures, not pass/fail.

usage: python3 bench/bench_node.py [--pods N] [--policies N] [--idle SECONDS] [--json FILE]
                                   [--node DIR]

Starts a node with tests/e2e/node.sh (or uses --node DIR, one already started and deployed),
installs kscmp from deploy/, and measures:

  1. apply -> running: one `kubectl apply -f -` holding a SeccompPolicy and a pod that uses
     it (Localhost kscmp/NS/NAME.json, a new file each time) until the pod's container is
     running, as a watch on the namespace's pods sees it (the clock starts before kubectl is
     spawned). --pods pods (100) one after the other, p50/p90/p99/max. Next to it the same
     pods with seccompProfile RuntimeDefault (no policy), and with Localhost pointing at a
     file that is already on disk (the agent has nothing to do), and RuntimeDefault with a
     ConfigMap in the same apply (kubectl's cost of a second object): what kscmp adds to a
     pod's start is the difference. --policies 0 stops after this part. A sample of the kscmp pods is checked to run under the policy
     (mkdir refused with its errno).
  2. the agent with --policies (1000) policies: CPU time and memory of the agent's container
     as its cgroup counts them (cpuacct.usage, memory.usage_in_bytes, memory.max_usage_in_bytes,
     total_rss of memory.stat), idle before, while the policies and 50 pods that use 50 of
     them are applied, and over --idle (60) seconds of nothing changing afterwards.

Needs root and what node.sh needs (make deps; tests/e2e/tools.sh --node builds the Kubernetes
programs once). Python 3 standard library only.
"""
import argparse
import glob
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from kube_e2e import Cluster, read_env_file, wait_until  # noqa: E402

NODE_SH = os.path.join(REPO, "tests", "e2e", "node.sh")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


class PodWatch(threading.Thread):
    """Watches the pods of a namespace; records when each one's container is first running."""

    def __init__(self, c, ns):
        super().__init__(daemon=True)
        self.c, self.ns = c, ns
        self.running = {}
        self.cv = threading.Condition()
        self.ready = threading.Event()
        self.stop = False

    def run(self):
        ctx = ssl.create_default_context(cafile=self.c.ca)
        ctx.load_cert_chain(os.path.join(self.c.dir, "pki", "admin.crt"), os.path.join(self.c.dir, "pki", "admin.key"))
        while not self.stop:
            conn = http.client.HTTPSConnection(self.c.host, self.c.port, context=ctx, timeout=600)
            conn.request("GET", f"/api/v1/namespaces/{self.ns}/pods?watch=1&allowWatchBookmarks=false")
            resp = conn.getresponse()
            self.ready.set()
            while not self.stop:
                line = resp.readline()
                if not line:
                    break
                now = time.monotonic()
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                obj = ev.get("object") or {}
                name = (obj.get("metadata") or {}).get("name")
                for st in (obj.get("status") or {}).get("containerStatuses") or []:
                    if "running" in (st.get("state") or {}):
                        with self.cv:
                            self.running.setdefault(name, now)
                            self.cv.notify_all()
            conn.close()

    def wait(self, name, timeout=120):
        with self.cv:
            self.cv.wait_for(lambda: name in self.running, timeout)
            return self.running.get(name)


def kubectl_apply(c, objs):
    t0 = time.monotonic()
    p = subprocess.run(["kubectl", "--kubeconfig", c.kubeconfig, "apply", "-f", "-"],
                       input="\n".join(json.dumps(o) for o in objs), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return t0


def pod(env, ns, name, profile):
    sc = ({"seccompProfile": {"type": "RuntimeDefault"}} if profile is None else
          {"seccompProfile": {"type": "Localhost", "localhostProfile": profile}})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"securityContext": sc, "terminationGracePeriodSeconds": 1, "automountServiceAccountToken": False,
                     "enableServiceLinks": False, "dnsPolicy": "Default",
                     "containers": [{"name": "main", "image": env["KSCMP_E2E_IMAGE_BUSYBOX"],
                                     "imagePullPolicy": "Never",
                                     "command": ["sh", "-c", "mkdir /tmp/x 2>&1; sleep 3600"]}]}}


def policy(ns, name):
    return {"apiVersion": "kscmp.io/v1", "kind": "SeccompPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"extends": "runtime/default",
                     "rules": [{"syscalls": ["mkdir", "mkdirat"], "action": "Block", "errno": "EACCES"}]}}


def namespace(c, ns):
    c.kubectl_ok("create", "namespace", ns)
    wait_until(lambda: c.get_ok(f"/api/v1/namespaces/{ns}/serviceaccounts/default"), 60, "default SA")


def series(c, env, ns, n, mode):
    namespace(c, ns)
    w = PodWatch(c, ns)
    w.start()
    w.ready.wait(30)
    out = []
    if mode == "existing":
        kubectl_apply(c, [policy(ns, "shared"), pod(env, ns, "warm", f"kscmp/{ns}/shared.json")])
        w.wait("warm")
    for i in range(n):
        name = f"p{i}"
        if mode == "kscmp":
            objs = [policy(ns, name), pod(env, ns, name, f"kscmp/{ns}/{name}.json")]
        elif mode == "runtime-default-2":  # kubectl's cost of a second object, no kscmp
            objs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                     "data": {"k": "v"}}, pod(env, ns, name, None)]
        elif mode == "existing":
            objs = [pod(env, ns, name, f"kscmp/{ns}/shared.json")]
        else:
            objs = [pod(env, ns, name, None)]
        t0 = kubectl_apply(c, objs)
        t1 = w.wait(name)
        if t1 is None:
            raise RuntimeError(f"{ns}/{name} did not run within 120 s")
        out.append(t1 - t0)
    w.stop = True
    return out


def agent_cgroup(c):
    pods = c.get_ok("/api/v1/namespaces/kscmp-system/pods")["items"]
    p = [x for x in pods if x["status"].get("phase") == "Running"][0]
    cid = p["status"]["containerStatuses"][0]["containerID"].split("//")[-1]
    uid = p["metadata"]["uid"]
    mem = glob.glob(f"/sys/fs/cgroup/memory/kubepods/**/pod{uid}/{cid}", recursive=True)[0]
    cpu = glob.glob(f"/sys/fs/cgroup/cpuacct/kubepods/**/pod{uid}/{cid}", recursive=True)[0]
    return cpu, mem


def cg_read(cpu, mem):
    stat = dict(line.split() for line in open(os.path.join(mem, "memory.stat")))
    return {"cpu_s": int(open(os.path.join(cpu, "cpuacct.usage")).read()) / 1e9,
            "mem": int(open(os.path.join(mem, "memory.usage_in_bytes")).read()),
            "max": int(open(os.path.join(mem, "memory.max_usage_in_bytes")).read()),
            "rss": int(stat.get("total_rss", stat.get("rss", 0)))}


def procs_cpu(cpu):
    """CPU seconds of the processes in the container's cgroup, from /proc/PID/stat: the agent
    (its own, and that of children it reaped: workers replaced), and its proof workers."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"agent": 0.0, "reaped": 0.0, "workers": 0.0, "nworkers": 0}
    for pid in open(os.path.join(cpu, "cgroup.procs")).read().split():
        try:
            stat = open(f"/proc/{pid}/stat").read()
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        f = stat[stat.rindex(")") + 2:].split()  # from field 3 (state) on
        own = (int(f[11]) + int(f[12])) / tick  # utime, stime
        if b"__proof-worker" in argv:
            out["workers"] += own
            out["nworkers"] += 1
        else:
            out["agent"] += own
            out["reaped"] += (int(f[13]) + int(f[14])) / tick  # cutime, cstime
    return out


def mib(b):
    return f"{b / 1048576:.1f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--json")
    ap.add_argument("--node", help="a node folder already started and deployed")
    a = ap.parse_args()
    own = not a.node
    d = a.node or tempfile.mkdtemp(prefix="kscmp-bench-node.")
    res = {"date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} CPUs, {os.uname().release}"}
    try:
        if own:
            t0 = time.monotonic()
            subprocess.run(["bash", NODE_SH, "start", d], check=True, timeout=900)
            subprocess.run(["bash", NODE_SH, "deploy", d], check=True, timeout=300)
            print(f"node started and kscmp deployed in {time.monotonic() - t0:.1f} s", flush=True)
        env = read_env_file(os.path.join(d, "env"))
        c = Cluster(os.path.join(d, "cp"))
        cpu, mem = agent_cgroup(c)
        start, start_procs = cg_read(cpu, mem), procs_cpu(cpu)
        print(f"0. the agent's container before part 1: CPU {start['cpu_s']:.2f} s since its start (the "
              f"agent {start_procs['agent']:.2f} s, its {start_procs['nworkers']} proof workers "
              f"{start_procs['workers']:.2f} s), memory {mib(start['mem'])}", flush=True)
        print(f"1. kubectl apply -> container running, {a.pods} pods one after the other", flush=True)
        t_part1 = time.monotonic()
        for mode, title in (("runtime-default", "RuntimeDefault, no policy"),
                            ("runtime-default-2", "RuntimeDefault, a ConfigMap in the apply"),
                            ("existing", "Localhost, file already on disk"),
                            ("kscmp", "Localhost, policy + pod in one apply")):
            v = series(c, env, f"bench-{mode}", a.pods, mode)
            res[mode] = {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99), "max": max(v),
                         "mean": statistics.mean(v)}
            if mode == "kscmp":  # a sample ran under its policy
                res[mode]["sample_checked"] = sum(
                    "Permission denied" in c.kubectl("-n", f"bench-{mode}", "logs", f"p{i}").stdout
                    for i in (0, a.pods // 2, a.pods - 1))
            print(f"   {title:40s} p50 {pct(v, 50) * 1000:6.0f} ms  p90 {pct(v, 90) * 1000:6.0f} ms  "
                  f"p99 {pct(v, 99) * 1000:6.0f} ms  max {max(v) * 1000:6.0f} ms", flush=True)
            # Its 100 pods go before the next series starts: their teardown would load the node.
            c.kubectl("delete", "namespace", f"bench-{mode}", "--wait=false")
            wait_until(lambda: not c.get_ok(f"/api/v1/namespaces/bench-{mode}"), 600, f"bench-{mode} gone")
        print(f"   sample of kscmp pods under their policy (mkdir: EACCES): {res['kscmp']['sample_checked']}/3",
              flush=True)
        end, end_procs = cg_read(cpu, mem), procs_cpu(cpu)
        t_part1 = time.monotonic() - t_part1
        npods = 4 * a.pods
        res["part1_cpu"] = {"container": end["cpu_s"] - start["cpu_s"], "seconds": t_part1,
                            **{k: end_procs[k] - start_procs[k] for k in ("agent", "reaped", "workers")}}
        pc = res["part1_cpu"]
        print(f"   the agent's container over part 1 ({t_part1:.0f} s, {npods} pods): CPU {pc['container']:.2f} s, "
              f"{pc['container'] / npods * 1000:.1f} ms a pod; the agent {pc['agent']:.2f} s, its proof workers "
              f"{pc['workers']:.2f} s ({end_procs['nworkers']} now), workers replaced {pc['reaped']:.2f} s",
              flush=True)
        print(f"   kscmp adds p50 {(res['kscmp']['p50'] - res['runtime-default-2']['p50']) * 1000:.0f} ms over "
              f"RuntimeDefault with a second object in the apply "
              f"({(res['existing']['p50'] - res['runtime-default']['p50']) * 1000:.0f} ms with the file already "
              "there, against RuntimeDefault alone)", flush=True)

        if a.policies > 0:
            print(f"2. the agent's container (cgroup) with {a.policies} policies", flush=True)
            base = cg_read(cpu, mem)
            ns = "bench-many"
            namespace(c, ns)
            objs = [policy(ns, f"q{i}") for i in range(a.policies)]
            objs += [pod(env, ns, f"q{i}", f"kscmp/{ns}/q{i}.json") for i in range(0, a.policies, max(1, a.policies // 50))]
            t0 = time.monotonic()
            for i in range(0, len(objs), 200):
                kubectl_apply(c, objs[i:i + 200])
            t_applied = time.monotonic() - t0
            want = [o["metadata"]["name"] for o in objs if o["kind"] == "Pod"]
            root = env["KSCMP_KUBELET_ROOT"]
            wait_until(lambda: all(os.path.exists(f"{root}/seccomp/kscmp/{ns}/{n}.json") for n in want), 600,
                       "every profile on disk")
            t_load = time.monotonic() - t0
            loaded = cg_read(cpu, mem)
            t1 = time.monotonic()
            wait_until(lambda: time.monotonic() - t1 >= a.idle, a.idle + 5, "idle period")
            idle = cg_read(cpu, mem)
            res["agent"] = {"base": base, "loaded": loaded, "idle": idle, "load_seconds": t_load,
                            "apply_seconds": t_applied}
            print(f"   before: memory {mib(base['mem'])} (rss {mib(base['rss'])}), CPU {base['cpu_s']:.2f} s since start",
                  flush=True)
            print(f"   {a.policies} policies + {len(want)} pods applied ({t_applied:.1f} s of kubectl apply), every file "
                  f"on disk {t_load - t_applied:.1f} s after the last apply returned: "
                  f"CPU {loaded['cpu_s'] - base['cpu_s']:.2f} s, memory {mib(loaded['mem'])} (rss {mib(loaded['rss'])}), "
                  f"peak {mib(loaded['max'])}", flush=True)
            print(f"   {a.idle} s idle after: CPU {idle['cpu_s'] - loaded['cpu_s']:.3f} s "
                  f"({(idle['cpu_s'] - loaded['cpu_s']) / a.idle * 100:.2f}% of a core), memory {mib(idle['mem'])} "
                  f"(rss {mib(idle['rss'])}), peak {mib(idle['max'])}", flush=True)
    finally:
        if own:
            subprocess.run(["bash", NODE_SH, "stop", d], timeout=300)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
