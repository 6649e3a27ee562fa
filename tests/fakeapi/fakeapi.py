"""fakeapi.py - a small Kubernetes API server stand-in that can misbehave on demand.

For the tests that a real kube-apiserver cannot drive deterministically: a 404 for a kind on
the next list, a 500, a body that is not JSON, a slow answer, a watch that ends or answers
410, a watch event of 30 MiB, pods of 1.4 MiB. Everything else it does as the API server does,
closely enough for `kscmp agent`: HTTPS (its own CA, written into a kubeconfig with a bearer
token), paged lists (limit/continue), watches from a resourceVersion with the events since
then (chunked HTTP/1.1, one JSON event per line), the pods field selector spec.nodeName,
merge-patches of policy status, Events (create, list by field selector, merge-patch),
SelfSubjectAccessReviews (every right allowed but those in `denied`), /readyz, and the pod
proxy to a pod's /readyz (GET .../pods/NAME:PORT/proxy/readyz: what readyz_of says the pod
answers on that port; as the API server, a port number only). Python 3 standard library and
the openssl command.

The real API server is tested in tests/e2e; this one only adds the faults.
"""
import copy
import http.server
import json
import os
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid

KINDS = {
    # resource -> (api path, apiVersion, kind, namespaced)
    "namespaces": ("/api/v1", "v1", "Namespace", False),
    "pods": ("/api/v1", "v1", "Pod", True),
    "events": ("/api/v1", "v1", "Event", True),
    "nodes": ("/api/v1", "v1", "Node", False),
    "daemonsets": ("/apis/apps/v1", "apps/v1", "DaemonSet", True),
    "seccomppolicies": ("/apis/kscmp.io/v1", "kscmp.io/v1", "SeccompPolicy", True),
    "clusterseccomppolicies": ("/apis/kscmp.io/v1", "kscmp.io/v1", "ClusterSeccompPolicy", False),
    "kubearmorseccomppolicies": ("/apis/security.kubearmor.com/v1", "security.kubearmor.com/v1",
                                 "KubeArmorSeccompPolicy", True),
    "seccomprecordings": ("/apis/kscmp.io/v1", "kscmp.io/v1", "SeccompRecording", True),
}

SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def dumps(obj, **kw):
    """JSON as the API server writes it: Go's encoding/json writes '<', '>' and '&' as six-byte
    escapes (they stand only inside strings, so replacing them keeps the document)."""
    return (json.dumps(obj, **kw).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def make_cert(d):
    """A CA and a server certificate for 127.0.0.1 in d; returns (ca, cert, key) paths."""
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = os.path.join(d, "srv.key"), os.path.join(d, "srv.csr"), os.path.join(d, "srv.crt")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=fakeapi-ca", "-keyout", ca_key, "-out", ca)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "2", "-out", crt, "-extfile", ext)
    return ca, crt, key


class Watcher:
    def __init__(self, resource, query):
        self.resource, self.query = resource, query
        self.cond = threading.Condition()
        self.events = []   # lines to send
        self.closed = False


class FakeAPI:
    """Start with FakeAPI(tmpdir).start(); stop with .stop(). Thread-safe."""

    def __init__(self, d):
        self.dir = d
        self.lock = threading.RLock()
        self.rv = 1000
        self.objects = {r: {} for r in KINDS}   # resource -> key -> object
        self.history = []                        # (rv, resource, type, object)
        self.watchers = []
        self.requests = []                       # (method, path) in order
        self.faults = {}    # (resource, "list"|"watch") -> dict(mode=..., count=N or None)
        self.readyz = 200
        # "ns/name" -> (port, code, body bytes): what the pod answers on GET :port/readyz
        self.readyz_of = {}
        # SelfSubjectAccessReviews: the rights refused, as (verb, group, resource, subresource)
        # with "" for the core group and for no subresource; and every review's
        # resourceAttributes as asked, in order.
        self.denied = set()
        self.reviews = []
        self.reviews_now = self.reviews_most = 0
        self.token = "fake-token-" + uuid.uuid4().hex
        self.server = None

    # -- objects -----------------------------------------------------------------------------

    @staticmethod
    def key(obj):
        m = obj["metadata"]
        return f"{m['namespace']}/{m['name']}" if m.get("namespace") else m["name"]

    def _event(self, resource, typ, obj):
        self.history.append((int(obj["metadata"]["resourceVersion"]), resource, typ, obj))
        line = dumps({"type": typ, "object": obj}, separators=(",", ":")) + "\n"
        for w in list(self.watchers):
            if w.resource == resource and self._matches(obj, w.query):
                with w.cond:
                    w.events.append(line)
                    w.cond.notify()

    def put(self, resource, obj):
        """Creates or replaces an object (ADDED or MODIFIED to watchers)."""
        with self.lock:
            obj = copy.deepcopy(obj)
            api, av, kind, _ = KINDS[resource]
            obj.setdefault("apiVersion", av)
            obj.setdefault("kind", kind)
            meta = obj.setdefault("metadata", {})
            k = self.key(obj)
            old = self.objects[resource].get(k)
            meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
            if resource.endswith("policies") or resource.endswith("recordings"):
                gen = old["metadata"].get("generation", 1) if old else 0
                if not old or old.get("spec") != obj.get("spec"):
                    gen += 1
                meta["generation"] = gen
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[resource][k] = obj
            self._event(resource, "MODIFIED" if old else "ADDED", obj)
            return obj

    def delete(self, resource, key):
        with self.lock:
            obj = self.objects[resource].pop(key, None)
            if obj is None:
                return
            obj = copy.deepcopy(obj)
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self._event(resource, "DELETED", obj)

    def get(self, resource, key):
        with self.lock:
            o = self.objects[resource].get(key)
            return copy.deepcopy(o) if o else None

    def fault(self, resource, verb, mode, count=None, **kw):
        """Makes the next `count` (None: every) list, watch or patch of resource misbehave:
        mode "status" (kw status=404), "garbage", "endless" (a list of empty pages, each with
        the same continue token), "slow" (kw seconds), "line" (a watch event
        line of kw size bytes), "gone" (a watch that answers an ERROR 410 event), "mute" (a
        watch that answers 200 and then sends nothing, its events dropped, until it times out
        or the client leaves). A patch's fault with kw name="ns/name" hits that object only."""
        with self.lock:
            self.faults[(resource, verb)] = dict(mode=mode, count=count, **kw)

    def clear_fault(self, resource=None, verb=None):
        with self.lock:
            for k in list(self.faults):
                if (resource is None or k[0] == resource) and (verb is None or k[1] == verb):
                    del self.faults[k]

    def end_watches(self, resource=None):
        """Ends the watches in progress (as an API server going away does)."""
        with self.lock:
            for w in list(self.watchers):
                if resource is None or w.resource == resource:
                    with w.cond:
                        w.closed = True
                        w.cond.notify()

    def count(self, method, prefix):
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    def _take_fault(self, resource, verb, key=None):
        with self.lock:
            f = self.faults.get((resource, verb))
            if not f or f.get("name", key) != key:
                return None
            if f["count"] is not None:
                f["count"] -= 1
                if f["count"] <= 0:
                    del self.faults[(resource, verb)]
            return f

    @staticmethod
    def _matches(obj, query):
        sel = query.get("fieldSelector", [""])[0]
        for term in filter(None, sel.split(",")):
            k, _, v = term.partition("=")
            cur = obj
            if k == "source":
                k = "source.component"
            for part in k.split("."):
                cur = cur.get(part) if isinstance(cur, dict) else None
            if (cur if cur is not None else "") != v:
                return False
        return True

    # -- serving -----------------------------------------------------------------------------

    def kubeconfig(self, path):
        with open(self.ca) as f:
            ca = f.read()
        import base64
        data = base64.b64encode(ca.encode()).decode()
        with open(path, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {{server: "https://127.0.0.1:{self.port}", certificate-authority-data: {data}}}
users:
- name: agent
  user: {{token: {self.token}}}
contexts:
- name: fake
  context: {{cluster: fake, user: agent}}
current-context: fake
""")
        return path

    def start(self):
        self.ca, crt, key = make_cert(self.dir)
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    self.close_connection = True

            def do_GET(self):
                api._serve(self, "GET")

            def do_POST(self):
                api._serve(self, "POST")

            def do_PATCH(self):
                api._serve(self, "PATCH")

            def do_DELETE(self):
                api._serve(self, "DELETE")

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.end_watches()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def _reply(self, h, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _status(self, h, code, message):
        reason = {404: "NotFound", 410: "Expired", 500: "InternalError", 409: "Conflict",
                  401: "Unauthorized", 400: "BadRequest", 403: "Forbidden",
                  503: "ServiceUnavailable"}.get(code, "Unknown")
        self._reply(h, code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                              "message": message, "reason": reason, "code": code})

    def _route(self, path):
        """(resource, namespace, name, subresource) of an API path, or None."""
        for res, (api, _av, _kind, _ns) in KINDS.items():
            if not path.startswith(api + "/"):
                continue
            rest = path[len(api) + 1:].split("/")
            ns = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                ns, rest = rest[1], rest[2:]
            if rest[0] != res:
                continue
            name = rest[1] if len(rest) > 1 else None
            sub = rest[2] if len(rest) > 2 else None
            return res, ns, name, sub
        return None

    def _serve(self, h, method):
        u = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(u.query)
        with self.lock:
            self.requests.append((method, h.path))
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        if u.path in ("/readyz", "/healthz", "/livez"):
            return self._reply(h, self.readyz, b"ok" if self.readyz == 200 else b"not ready",
                               "text/plain")
        if h.headers.get("Authorization") != "Bearer " + self.token:
            return self._status(h, 401, "Unauthorized")
        if u.path == SSAR_PATH and method == "POST":
            return self._review(h, body)
        route = self._route(u.path)
        if not route:
            return self._status(h, 404, "the server could not find the requested resource")
        res, ns, name, sub = route
        if method == "GET" and res == "pods" and sub == "proxy":
            return self._proxy(h, ns, name, u.path)
        if method == "GET" and name is None:
            if query.get("watch", ["0"])[0] in ("1", "true"):
                return self._watch(h, res, ns, query)
            return self._list(h, res, ns, query)
        if method == "POST" and res == "events" and name is None:
            ev = json.loads(body)
            meta = ev.setdefault("metadata", {})
            meta["name"] = meta.pop("generateName", "ev.") + uuid.uuid4().hex[:8]
            meta["namespace"] = ns
            return self._reply(h, 201, self.put("events", ev))
        if method == "PATCH" and name:
            key = f"{ns}/{name}" if ns else name
            f = self._take_fault(res, "patch", key)
            if f and f["mode"] == "status":
                return self._status(h, f.get("status", 500), f.get("message", "refused"))
            with self.lock:
                obj = self.get(res, key)
                if obj is None:
                    return self._status(h, 404, f"{res} {key} not found")
                patch = json.loads(body)
                if sub == "status":
                    obj["status"] = merge(obj.get("status"), patch.get("status"))
                else:
                    obj = merge(obj, patch)
                return self._reply(h, 200, self.put(res, obj))
        if method == "GET" and name:
            o = self.get(res, f"{ns}/{name}" if ns else name)
            return self._reply(h, 200, o) if o else self._status(h, 404, "not found")
        return self._status(h, 405, "not supported by the fake")

    def _proxy(self, h, ns, name_port, path):
        """The pod proxy to a pod's /readyz: faults (resource "pods", verb "proxy": "status",
        "slow"), else what readyz_of says; a port that is not a number is refused (400), as
        the API server does (it dials PODIP:PORT); a pod that does not answer there is a 503
        Status, as the API server's "error trying to reach service"."""
        name, _, port = name_port.partition(":")
        key = f"{ns}/{name}"
        f = self._take_fault("pods", "proxy", key)
        if f and f["mode"] == "slow":
            time.sleep(f.get("seconds", 5))
        elif f and f["mode"] == "status":
            return self._status(h, f.get("status", 500), f.get("message", "refused"))
        pod = self.get("pods", key)
        if pod is None:
            return self._status(h, 404, f'pods "{name}" not found')
        if not port.isdigit():
            return self._status(h, 400, "address not allowed")
        ip = (pod.get("status") or {}).get("podIP", "")
        want = self.readyz_of.get(key)
        if not path.endswith("/proxy/readyz") or not want or str(want[0]) != port:
            return self._status(h, 503, f"error trying to reach service: dial tcp {ip}:{port}: "
                                        "connect: connection refused")
        return self._reply(h, want[1], want[2], "text/plain")

    def _review(self, h, body):
        """A SelfSubjectAccessReview: allowed unless its right is in self.denied; a fault
        ("selfsubjectaccessreviews", "create") answers instead (mode "status", kw status) or
        later (mode "slow", kw seconds). reviews_most counts the most answered at once."""
        f = self._take_fault("selfsubjectaccessreviews", "create")
        if f and f["mode"] == "status":
            return self._status(h, f.get("status", 500), "injected fault")
        if f and f["mode"] == "slow":
            with self.lock:
                self.reviews_now += 1
                self.reviews_most = max(self.reviews_most, self.reviews_now)
            time.sleep(f.get("seconds", 1))
            with self.lock:
                self.reviews_now -= 1
        review = json.loads(body)
        attrs = review.get("spec", {}).get("resourceAttributes", {})
        right = (attrs.get("verb", ""), attrs.get("group", ""), attrs.get("resource", ""),
                 attrs.get("subresource", ""))
        with self.lock:
            self.reviews.append(attrs)
            allowed = right not in self.denied
        review["status"] = {"allowed": allowed}
        if not allowed:
            review["status"]["reason"] = "no RBAC policy matched"
        return self._reply(h, 201, review)

    def _list(self, h, res, ns, query):
        f = self._take_fault(res, "list")
        if f and f["mode"] == "slow":
            time.sleep(f.get("seconds", 5))
        elif f and f["mode"] == "status":
            return self._status(h, f.get("status", 500), "injected fault")
        elif f and f["mode"] == "garbage":
            return self._reply(h, 200, b"{\"kind\": \"List\", \"items\": [{\"garbage", "application/json")
        elif f and f["mode"] == "status200":
            # A Status with 200 (a proxy, an aggregated API): not a list.
            return self._reply(h, 200, dumps({"kind": "Status", "apiVersion": "v1",
                                              "status": "Failure", "code": 500,
                                              "message": "etcdserver: request timed out"}).encode())
        elif f and f["mode"] == "newtoken":
            # A page of nothing with a new continue token each time (a server that pages for good).
            api, av, kind, _ = KINDS[res]
            tok = str(int(query.get("continue", ["0"])[0] or 0) + 1)
            return self._reply(h, 200, dumps({"kind": kind + "List", "apiVersion": av, "metadata": {
                "resourceVersion": str(self.rv), "continue": tok}, "items": []}).encode())
        elif f and f["mode"] == "endless":
            # A page of nothing with a continue token, ever the same (a broken server or proxy).
            api, av, kind, _ = KINDS[res]
            return self._reply(h, 200, dumps({"kind": kind + "List", "apiVersion": av, "metadata": {
                "resourceVersion": str(self.rv), "continue": "again"}, "items": []}).encode())
        with self.lock:
            items = [o for k, o in sorted(self.objects[res].items())
                     if (ns is None or o["metadata"].get("namespace") == ns)
                     and self._matches(o, query)]
            rv = str(self.rv)
        limit = int(query.get("limit", ["0"])[0] or 0)
        start = int(query.get("continue", ["0"])[0] or 0)
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": rv}
        if limit and start + limit < len(items):
            meta["continue"] = str(start + limit)
        api, av, kind, _ = KINDS[res]
        data = dumps({"kind": kind + "List", "apiVersion": av, "metadata": meta,
                           "items": page}, separators=(",", ":")).encode()
        self._reply(h, 200, data)

    def _watch(self, h, res, ns, query):
        f = self._take_fault(res, "watch")
        if f and f["mode"] == "status":
            return self._status(h, f.get("status", 500), "injected fault")
        since = int(query.get("resourceVersion", ["0"])[0] or 0)
        timeout = float(query.get("timeoutSeconds", ["300"])[0])
        w = Watcher(res, query)
        with self.lock:
            backlog = [dumps({"type": t, "object": o}, separators=(",", ":")) + "\n"
                       for rv, r, t, o in self.history
                       if r == res and rv > since and self._matches(o, query)]
            w.events.extend(backlog)
            self.watchers.append(w)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def chunk(data):
            h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            h.wfile.flush()
        try:
            if f and f["mode"] == "gone":
                chunk(dumps({"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                    "reason": "Expired", "message": "too old resource version"}}).encode() + b"\n")
                w.closed = True
            if f and f["mode"] == "line":
                size = f.get("size", 30 << 20)
                pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
                    "name": "huge", "namespace": "demo", "uid": "huge-uid",
                    "resourceVersion": str(self.rv), "annotations": {"x": "y" * size}},
                    "spec": {"nodeName": query.get("fieldSelector", ["="])[0].split("=")[-1],
                             "containers": [{"name": "c"}]}}
                line = dumps({"type": "ADDED", "object": pod}).encode() + b"\n"
                for i in range(0, len(line), 1 << 20):
                    chunk(line[i:i + (1 << 20)])
            deadline = time.monotonic() + timeout
            while True:
                with w.cond:
                    while not w.events and not w.closed and time.monotonic() < deadline:
                        w.cond.wait(0.5)
                    lines, w.events = w.events, []
                    closed = w.closed or time.monotonic() >= deadline
                if f and f["mode"] == "mute":
                    lines = []
                for line in lines:
                    chunk(line.encode())
                if closed:
                    break
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            with self.lock:
                if w in self.watchers:
                    self.watchers.remove(w)
            h.close_connection = True


def merge(base, patch):
    """RFC 7386 merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out
