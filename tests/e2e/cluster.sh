#!/usr/bin/env bash
# cluster.sh - a bare Kubernetes control plane (etcd + kube-apiserver, no kubelet, no
# controller-manager, no scheduler) on 127.0.0.1, for the real-cluster tests.
#
#   cluster.sh start DIR                  start etcd and kube-apiserver; state in DIR
#   cluster.sh stop DIR                   kill the processes start recorded (by PID), remove DIR
#   cluster.sh stop-apiserver DIR         stop the API server only (etcd keeps running)
#   cluster.sh kill-apiserver DIR         the same with SIGKILL (a crash: no graceful close)
#   cluster.sh start-apiserver DIR        start it again: same port, certificates and etcd
#   cluster.sh restart-apiserver DIR      both of the above
#   cluster.sh compact DIR                compact etcd to its current revision
#   cluster.sh sa-kubeconfig DIR NS SA OUT [DURATION]
#                                         kubeconfigs for ServiceAccount NS/SA (see below)
#   cluster.sh status DIR                 exit 0 if both processes run and /readyz says ok
#
# What start leaves in DIR:
#   env               shell lines to source (`. DIR/env`): KUBECONFIG, KSCMP_E2E_SERVER,
#                     KSCMP_E2E_CA, KSCMP_E2E_ETCD, KSCMP_E2E_ETCD_PID, KSCMP_E2E_APISERVER_PID, ...
#   admin.kubeconfig  user in group system:masters, CA and client cert inlined (*-data fields)
#   pki/              ca.crt, server.crt (SANs 127.0.0.1, ::1, 10.96.0.1 (the `kubernetes`
#                     Service), localhost), admin.crt, sa.key/pub
#   etcd.log, apiserver.log, etcd/ (data)
#
# The API server: ports picked at run time, --authorization-mode=Node,RBAC (so a
# ServiceAccount has only what RBAC gives it), the ServiceAccount admission plugin disabled
# (nothing creates a namespace's `default` ServiceAccount without a controller-manager),
# --endpoint-reconciler-type=none (a loopback address may not go in Endpoints), service-account
# issuer/keys set so `kubectl create token` works, --allow-privileged for DaemonSet manifests.
# Without a kubelet, pods bound to a node stay Pending and must be deleted with
# --grace-period=0 --force; without a controller-manager a deleted namespace stays Terminating.
#
# Environment:
#   KSCMP_E2E_WATCH_CACHE=0      start the API server with --watch-cache=false, so every
#                                watch is served by etcd and `compact` makes any watch from an
#                                older resourceVersion fail with 410 Gone. With the watch cache
#                                on (the default, as in real clusters), a watch is answered from
#                                the cache's window of recent events, so 410 comes only for
#                                versions older than that window (compaction alone may not do
#                                it; an API server restart empties the window).
#   KSCMP_E2E_APISERVER_ARGS     extra kube-apiserver flags (word-split)
#   KSCMP_E2E_SA_ADMISSION=1     keep the ServiceAccount admission plugin on (node.sh: with a
#                                controller-manager, pods get their token volume as in a
#                                real cluster)
#   KSCMP_E2E_START_TIMEOUT      seconds to wait for etcd and for /readyz (default 90)
#
# sa-kubeconfig writes, for `kubectl create token SA -n NS --duration DURATION` (default 1h;
# the namespace and the ServiceAccount are created if missing, with no RBAC):
#   OUT               server, certificate-authority-data and token inline
#   OUT.token         the bare token
#   OUT.tokenfile     the same user as a `tokenFile: OUT.token` reference, and the CA as a
#                     `certificate-authority: DIR/pki/ca.crt` path
# All are mode 0600. The token is bound to the ServiceAccount: deleting the ServiceAccount
# revokes it (after the API server's ~10 s token cache). DURATION: at least 10m (API minimum),
# no maximum (no --service-account-max-token-expiration).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MARK=.kscmp-e2e-cluster
TIMEOUT=${KSCMP_E2E_START_TIMEOUT:-90}

# shellcheck disable=SC1091 source=proc.sh source-path=SCRIPTDIR
. "$HERE/proc.sh"

# The tools: from KSCMP_E2E_BIN if it holds them, else built/cached by tools.sh.
need_tools() {
	if [ -z "${KSCMP_E2E_BIN:-}" ] || [ ! -x "$KSCMP_E2E_BIN/kube-apiserver" ] || [ ! -x "$KSCMP_E2E_BIN/etcd" ]; then
		local lines
		lines=$("$HERE/tools.sh" env) || die "the e2e tools could not be built (see above)"
		eval "$lines"
	fi
	export PATH="$KSCMP_E2E_BIN:$PATH"
	for t in curl openssl kubectl; do
		command -v "$t" >/dev/null || die "$t is needed (apt-get install $t)"
	done
}

write_env() {
	local d=$1
	cat >"$d/env.tmp" <<EOF
export KSCMP_E2E_DIR='$d'
export KUBECONFIG='$d/admin.kubeconfig'
export KSCMP_E2E_SERVER='https://127.0.0.1:$APISERVER_PORT'
export KSCMP_E2E_CA='$d/pki/ca.crt'
export KSCMP_E2E_ETCD='http://127.0.0.1:$ETCD_PORT'
export KSCMP_E2E_APISERVER_PORT=$APISERVER_PORT
export KSCMP_E2E_ETCD_PORT=$ETCD_PORT
export KSCMP_E2E_ETCD_PEER_PORT=$ETCD_PEER_PORT
export KSCMP_E2E_ETCD_PID=$ETCD_PID
export KSCMP_E2E_APISERVER_PID=${APISERVER_PID:-}
export KSCMP_E2E_WATCH_CACHE=${WATCH_CACHE:-1}
export KSCMP_E2E_SA_ADMISSION=${KSCMP_E2E_SA_ADMISSION:-0}
export KSCMP_E2E_BIN='$KSCMP_E2E_BIN'
EOF
	mv -f "$d/env.tmp" "$d/env"
}

load_env() {
	local d=$1
	if [ ! -f "$d/$MARK" ] || [ ! -f "$d/env" ]; then
		die "$d is not a cluster folder made by cluster.sh start"
	fi
	# shellcheck disable=SC1091
	. "$d/env"
	ETCD_PORT=$KSCMP_E2E_ETCD_PORT ETCD_PEER_PORT=$KSCMP_E2E_ETCD_PEER_PORT
	APISERVER_PORT=$KSCMP_E2E_APISERVER_PORT ETCD_PID=$KSCMP_E2E_ETCD_PID
	APISERVER_PID=$KSCMP_E2E_APISERVER_PID WATCH_CACHE=$KSCMP_E2E_WATCH_CACHE
	export PATH="$KSCMP_E2E_BIN:$PATH"
}

make_pki() {
	local p=$1/pki
	mkdir -p "$p"
	cat >"$p/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1,IP:::1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	(
		cd "$p"
		umask 077
		openssl req -x509 -new -config openssl.cnf -extensions ca "${ec[@]}" \
			-keyout ca.key -out ca.crt -days 3650 -subj /CN=kscmp-e2e-ca
		# sign NAME SUBJECT EXTENSIONS
		sign() {
			openssl req -new -config openssl.cnf "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 12)" \
				-days 365 -extfile openssl.cnf -extensions "$3" -out "$1.crt"
			rm -f "$1.csr"
		}
		sign server /CN=kube-apiserver server
		sign admin "/O=system:masters/CN=kscmp-e2e-admin" client
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
		openssl pkey -in sa.key -pubout -out sa.pub
		chmod 0644 ca.crt server.crt admin.crt sa.pub
	) >"$p/openssl.log" 2>&1 || { cat "$p/openssl.log" >&2; die "making certificates failed"; }
}

b64() { base64 -w0 <"$1"; }

write_admin_kubeconfig() {
	local d=$1
	(
		umask 077
		cat >"$d/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kscmp-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$d/pki/ca.crt")
users:
- name: kscmp-e2e-admin
  user:
    client-certificate-data: $(b64 "$d/pki/admin.crt")
    client-key-data: $(b64 "$d/pki/admin.key")
contexts:
- name: kscmp-e2e
  context:
    cluster: kscmp-e2e
    user: kscmp-e2e-admin
current-context: kscmp-e2e
EOF
	)
}

# readyz DIR: 0 when the API server answers ok.
readyz() {
	local p=$1/pki
	[ "$(curl -s --max-time 3 --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
		"https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null)" = ok ]
}

etcd_healthy() {
	curl -s --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'
}

start_etcd() {
	local d=$1
	etcd --name kscmp-e2e --data-dir "$d/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "kscmp-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
		--listen-metrics-urls "" --log-level warn --unsafe-no-fsync \
		</dev/null >>"$d/etcd.log" 2>&1 &
	ETCD_PID=$!
	local deadline=$((SECONDS + TIMEOUT))
	while ! etcd_healthy; do
		alive "$ETCD_PID" "$d" || return 1
		[ $SECONDS -lt $deadline ] || { kill_pid "$ETCD_PID" "$d" etcd 15; return 1; }
		sleep 0.1
	done
}

start_apiserver() {
	local d=$1 p=$1/pki extra=()
	[ "${WATCH_CACHE:-1}" = 0 ] && extra+=(--watch-cache=false)
	[ "${KSCMP_E2E_SA_ADMISSION:-0}" = 1 ] || extra+=(--disable-admission-plugins ServiceAccount)
	# shellcheck disable=SC2206
	[ -n "${KSCMP_E2E_APISERVER_ARGS:-}" ] && extra+=(${KSCMP_E2E_APISERVER_ARGS})
	mkdir -p "$d/apiserver"
	kube-apiserver \
		--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
		--cert-dir "$d/apiserver" \
		--tls-cert-file "$p/server.crt" --tls-private-key-file "$p/server.key" \
		--client-ca-file "$p/ca.crt" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
		--authorization-mode Node,RBAC \
		--service-cluster-ip-range 10.96.0.0/24 \
		--endpoint-reconciler-type none \
		--allow-privileged=true \
		--profiling=false \
		"${extra[@]}" \
		</dev/null >>"$d/apiserver.log" 2>&1 &
	APISERVER_PID=$!
	local deadline=$((SECONDS + TIMEOUT))
	while ! readyz "$d"; do
		if ! alive "$APISERVER_PID" "$d"; then
			APISERVER_PID=
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			kill_pid "$APISERVER_PID" "$d" kube-apiserver 15
			APISERVER_PID=
			return 1
		fi
		sleep 0.2
	done
}

fail_logs() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		say "last lines of $f:"
		tail -n 15 "$f" >&2
	done
}

cmd_start() {
	local d attempt
	d=$(abspath "$1")
	[ -z "$(ls -A "$d")" ] || die "$d is not empty (stop the cluster there first)"
	need_tools
	touch "$d/$MARK"
	local t0=$SECONDS
	make_pki "$d"
	for attempt in 1 2 3; do
		ETCD_PORT=$(free_port)
		ETCD_PEER_PORT=$(free_port "$ETCD_PORT")
		APISERVER_PORT=$(free_port "$ETCD_PORT" "$ETCD_PEER_PORT")
		rm -rf "$d/etcd"
		if start_etcd "$d"; then break; fi
		ETCD_PID=
		[ "$attempt" -lt 3 ] || { fail_logs "$d/etcd.log"; die "etcd did not start"; }
		say "etcd did not start (port taken?); trying other ports"
	done
	APISERVER_PID=
	WATCH_CACHE=${KSCMP_E2E_WATCH_CACHE:-1}
	write_env "$d" # so that `stop` can clean up whatever happens next
	write_admin_kubeconfig "$d"
	for attempt in 1 2 3; do
		if start_apiserver "$d"; then break; fi
		if [ "$attempt" -lt 3 ] && port_in_use "$APISERVER_PORT"; then
			say "API server port $APISERVER_PORT was taken; trying another"
			APISERVER_PORT=$(free_port "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT")
			write_admin_kubeconfig "$d"
			continue
		fi
		fail_logs "$d/apiserver.log"
		kill_pid "$ETCD_PID" "$d" etcd 15
		die "kube-apiserver did not become ready within ${TIMEOUT}s (logs in $d)"
	done
	write_env "$d"
	# The bootstrap controllers create the system namespaces right after /readyz.
	local deadline=$((SECONDS + 30))
	until kubectl --kubeconfig "$d/admin.kubeconfig" get namespace default >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || die "namespace default did not appear"
		sleep 0.2
	done
	say "up in $((SECONDS - t0))s: API server https://127.0.0.1:$APISERVER_PORT (pid $APISERVER_PID)," \
		"etcd http://127.0.0.1:$ETCD_PORT (pid $ETCD_PID); . $d/env"
}

cmd_stop() {
	local d=$1
	[ -d "$d" ] || return 0
	d=$(cd "$d" && pwd)
	if [ ! -f "$d/$MARK" ]; then
		die "$d was not made by cluster.sh start; not touching it"
	fi
	if [ -f "$d/env" ]; then
		load_env "$d"
		kill_pid "$APISERVER_PID" "$d" kube-apiserver 15
		kill_pid "$ETCD_PID" "$d" etcd 15
	fi
	rm -rf "$d"
}

# cmd_stop_apiserver DIR [kill]: graceful (TERM), or a crash (KILL) with "kill".
cmd_stop_apiserver() {
	local d
	d=$(cd "$1" && pwd)
	load_env "$d"
	if [ "${2:-}" = kill ] && alive "$APISERVER_PID" "$d"; then
		kill -KILL "$APISERVER_PID" 2>/dev/null || true
	fi
	kill_pid "$APISERVER_PID" "$d" kube-apiserver 15
	APISERVER_PID=
	write_env "$d"
}

cmd_start_apiserver() {
	local d
	d=$(cd "$1" && pwd)
	load_env "$d"
	alive "$APISERVER_PID" "$d" && die "the API server is running (pid $APISERVER_PID)"
	alive "$ETCD_PID" "$d" || die "etcd is not running"
	local t0=$SECONDS
	if ! start_apiserver "$d"; then
		write_env "$d"
		fail_logs "$d/apiserver.log"
		die "kube-apiserver did not become ready again"
	fi
	write_env "$d"
	say "API server back in $((SECONDS - t0))s (pid $APISERVER_PID)"
}

# etcd's JSON gateway: revision from a range read, then compaction to it.
cmd_compact() {
	local d rev
	d=$(cd "$1" && pwd)
	load_env "$d"
	rev=$(curl -sf --max-time 10 -X POST "$KSCMP_E2E_ETCD/v3/kv/range" -d '{"key":"AA=="}' |
		grep -o '"revision":"\{0,1\}[0-9]*' | head -n1 | grep -o '[0-9]*$')
	[ -n "$rev" ] || die "could not read etcd's revision"
	curl -sf --max-time 30 -X POST "$KSCMP_E2E_ETCD/v3/kv/compaction" \
		-d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null || die "compaction to $rev failed"
	echo "$rev"
}

cmd_sa_kubeconfig() {
	local d=$1 ns=$2 sa=$3 out=$4 dur=${5:-1h} token k
	d=$(cd "$d" && pwd)
	load_env "$d"
	k=(kubectl --kubeconfig "$d/admin.kubeconfig")
	"${k[@]}" get namespace "$ns" >/dev/null 2>&1 || "${k[@]}" create namespace "$ns" >/dev/null
	"${k[@]}" -n "$ns" get serviceaccount "$sa" >/dev/null 2>&1 ||
		"${k[@]}" -n "$ns" create serviceaccount "$sa" >/dev/null
	token=$("${k[@]}" -n "$ns" create token "$sa" --duration "$dur") || die "kubectl create token failed"
	mkdir -p "$(dirname "$out")"
	out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
	(
		umask 077
		printf '%s' "$token" >"$out.token"
		for variant in inline file; do
			local f=$out ca user
			if [ $variant = inline ]; then
				ca="certificate-authority-data: $(b64 "$d/pki/ca.crt")"
				user="token: $token"
			else
				f=$out.tokenfile
				ca="certificate-authority: $d/pki/ca.crt"
				user="tokenFile: $out.token"
			fi
			cat >"$f.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kscmp-e2e
  cluster:
    server: $KSCMP_E2E_SERVER
    $ca
users:
- name: $ns-$sa
  user:
    $user
contexts:
- name: kscmp-e2e
  context:
    cluster: kscmp-e2e
    user: $ns-$sa
    namespace: $ns
current-context: kscmp-e2e
EOF
			mv -f "$f.tmp" "$f"
		done
	)
}

cmd_status() {
	local d
	d=$(cd "$1" && pwd)
	load_env "$d"
	alive "$ETCD_PID" "$d" || { say "etcd is not running"; exit 1; }
	alive "$APISERVER_PID" "$d" || { say "kube-apiserver is not running"; exit 1; }
	readyz "$d" || { say "kube-apiserver is not ready"; exit 1; }
	echo "ok"
}

[ $# -ge 2 ] || usage
cmd=$1
shift
case $cmd in
start) [ $# -eq 1 ] || usage; cmd_start "$1" ;;
stop) [ $# -eq 1 ] || usage; cmd_stop "$1" ;;
stop-apiserver) [ $# -eq 1 ] || usage; cmd_stop_apiserver "$1" ;;
kill-apiserver) [ $# -eq 1 ] || usage; cmd_stop_apiserver "$1" kill ;;
start-apiserver) [ $# -eq 1 ] || usage; cmd_start_apiserver "$1" ;;
restart-apiserver) [ $# -eq 1 ] || usage; cmd_stop_apiserver "$1"; cmd_start_apiserver "$1" ;;
compact) [ $# -eq 1 ] || usage; cmd_compact "$1" ;;
sa-kubeconfig) if [ $# -lt 4 ] || [ $# -gt 5 ]; then usage; fi; cmd_sa_kubeconfig "$@" ;;
status) [ $# -eq 1 ] || usage; cmd_status "$1" ;;
*) usage ;;
esac
