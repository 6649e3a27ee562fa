#!/usr/bin/env bash
# node.sh - a one-node Kubernetes cluster on this machine, with a real kubelet, containerd and
# runc, for the tests that start pods under kscmp's profiles (suite-node.sh, bench/).
#
#   node.sh start DIR            control plane (cluster.sh: etcd + kube-apiserver) plus
#                                kube-controller-manager and kube-scheduler, and one node:
#                                containerd, the kubelet, a CNI bridge; images imported
#   node.sh deploy DIR [--helm]  kscmp from deploy/ (or charts/kscmp with helm) with the image
#                                built here; waits until the DaemonSet's pod is Ready
#   node.sh undeploy DIR         remove what deploy installed (the CRDs and policies stay)
#   node.sh image DIR            rebuild kscmp's image from build/kscmp and import it
#   node.sh stop-node DIR [--kill|--graceful]   stop the kubelet and containerd (containers
#                                keep running, as on a real node whose runtime restarts);
#                                --kill: every container killed first (SIGKILL), as in a
#                                power cut; --graceful: SIGTERM first (up to 15 s), as in a
#                                shutdown
#   node.sh start-node DIR [--runtime-only]   start containerd and the kubelet again (only
#                                containerd with --runtime-only)
#   node.sh stop DIR             everything stopped and undone (see "What stop undoes")
#   node.sh status DIR           exit 0 if every process runs and the node is Ready
#
# DIR/env (`. DIR/env`) exports what cluster.sh's does (KUBECONFIG, KSCMP_E2E_SERVER, ...) and
#   KSCMP_NODE_NAME        the node's name (kscmp-e2e-<id>)
#   KSCMP_KUBELET_ROOT     the kubelet's --root-dir (DIR/kubelet, not /var/lib/kubelet: see
#                          "Kubelet root" below)
#   KSCMP_E2E_CTR          `ctr` with this containerd's socket and the k8s.io namespace
#   KSCMP_E2E_POD_LOGS     the kubelet's podLogsDir (container output, <ns>_<pod>_<uid>/)
#   KSCMP_E2E_CGROUP_ROOT  /sys/fs/cgroup/<controller>/kubepods holds the pods' cgroups
#   KSCMP_E2E_IMAGE_KSCMP, KSCMP_E2E_IMAGE_BUSYBOX, KSCMP_E2E_IMAGE_PAUSE  image references
#
# Programs: kubelet, kube-controller-manager, kube-scheduler and kube-apiserver of the same
# release, built once by tools.sh --node and cached in ~/.cache/kscmp-e2e; containerd 1.6.20,
# runc 1.1.5 and the CNI plugins 1.1.1 from Debian (containerd, runc,
# containernetworking-plugins, iptables; `make deps`). Nothing is pulled from a registry:
# three images are built here as OCI archives (node/ociimage.py) and imported with
# `ctr -n k8s.io images import`:
#   kscmp.local/pause:e2e    the sandbox image: node/pause.c, built static (holds the pod's
#                            namespaces, reaps children, exits on TERM)
#   kscmp.local/busybox:e2e  /bin/busybox from busybox-static and a link per applet
#   kscmp.local/kscmp:e2e    `make image-rootfs` (the Containerfile's root filesystem), with
#                            the Containerfile's ENTRYPOINT and CMD
# Pods use imagePullPolicy: Never.
#
# Every knob this machine kind needs (a Firecracker VM, root, cgroup v1 "hybrid": v1
# controllers under /sys/fs/cgroup and an empty cgroup2 at /sys/fs/cgroup/unified, no
# systemd as PID 1, no swap, root without CAP_SYS_RESOURCE in some VMs):
#   kubelet (DIR/kubelet.yaml, a KubeletConfiguration)
#     failCgroupV1: false            recent kubelets refuse cgroup v1 otherwise
#     cgroupDriver: cgroupfs         no systemd; must match containerd's (SystemdCgroup=false)
#     failSwapOn: false              harmless where swap is off; needed where it is on
#     enforceNodeAllocatable: []     no system-reserved/kube-reserved cgroups to enforce
#     localStorageCapacityIsolation: false   no ephemeral-storage accounting on this rootfs
#     authentication webhook off, anonymous on, authorization AlwaysAllow, ports picked at
#     run time, bound to addresses of this machine only: a test node no one else reaches
#     podLogsDir: DIR/pod-logs       not /var/log/pods
#     maxPods: 250                   the benchmark starts 100 pods at once
#     evictionHard: only memory.available<100Mi (a busy test disk must not evict the agent)
#     --node-ip <bridge address>     and kube-apiserver --kubelet-preferred-address-types=
#                                    InternalIP: `kubectl logs` stays on this machine instead
#                                    of resolving the node's name through DNS. Not 127.0.0.1:
#                                    the kubelet refuses it ("nodeIP can't be loopback
#                                    address") and the node then has no address at all.
#     address: <bridge address>      the kubelet's API (logs, exec) where the API server
#                                    looks for it; healthz on 127.0.0.1
#     --root-dir DIR/kubelet         see "Kubelet root"
#     --register-with-taints=kscmp.io/agent-not-ready:NoSchedule   as kscmp's docs advise: no
#                                    pod lands on the new node before its agent is ready
#   containerd (DIR/containerd.toml, its own root, state, socket; run by hand, no systemd)
#     cri restrict_oom_score_adj = true   root here may lack CAP_SYS_RESOURCE: runc then fails
#                                    every sandbox "failed to update /proc/self/oom_score_adj:
#                                    Permission denied"
#     cri sandbox_image = kscmp.local/pause:e2e (imported, never pulled)
#     runc options: SystemdCgroup = false, Root = DIR/containerd/runc
#     cni bin_dir = /usr/lib/cni (Debian's plugins), conf_dir = DIR/cni
#   network
#     a bridge kscmp<id> with a /24 picked at run time in 10.201.0.0/16, host-local IPAM
#     (data in DIR/cni-ipam); pods get one route, to the Service range 10.96.0.0/24 through
#     the bridge, and no default route: nothing leaves this machine. No kube-proxy: one
#     iptables DNAT rule (chain KSCMP-E2E-<id>, nat PREROUTING, only from the bridge) sends
#     the `kubernetes` Service (10.96.0.1:443) to kube-apiserver on 127.0.0.1, which needs
#     route_localnet=1 on the bridge alone. The bridge plugin turns on ip_forward; stop puts
#     back the value start found, and a FORWARD rule drops anything routed to or from the
#     bridge meanwhile.
#   kube-apiserver (cluster.sh) with the ServiceAccount admission plugin on
#     (KSCMP_E2E_SA_ADMISSION=1) and 10.96.0.1 in its certificate; kube-controller-manager
#     with --root-ca-file (the kube-root-ca.crt ConfigMap of projected tokens) and the SA key;
#     both it and kube-scheduler use the admin kubeconfig, no leader election, no serving port.
#   the kubelet's client certificate: CN=system:node:<node>, O=system:nodes, from cluster.sh's
#     CA (the Node authorizer gives it what a node may do).
#
# Kubelet root: DIR/kubelet, so nothing is written below /var/lib/kubelet and the test also
# covers a node whose root is not the default: `deploy` changes deploy/03-daemonset.yaml's
# three /var/lib/kubelet as deploy/README.md tells, and sets the chart's kubeletRoot.
#
# What stop undoes: the workloads are deleted (kubelet still running, so sandboxes are torn
# down through CRI and their network namespaces removed); then the kubelet stops, every task
# left in containerd is killed, containerd stops (and its shims, by PID, command line naming
# DIR); every mount below DIR is unmounted, deepest first (the kubelet bind-mounts its root
# onto itself; pod volumes are tmpfs); network namespaces cni-* that appeared since start
# are removed; the bridge, the iptables chain and rules, ip_forward, /var/lib/cni entries of
# this network, and the kubepods cgroups (when empty); then cluster.sh stop. One node at a
# time on a machine (the kubepods cgroups are global): start waits while another runs
# (KSCMP_E2E_NODE_WAIT seconds, default 900).
#
# Environment: KSCMP_E2E_START_TIMEOUT (default 120 s) bounds each wait of start/deploy.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLUSTER=$HERE/cluster.sh
MARK=.kscmp-e2e-node
LOCK=/run/kscmp-e2e-node.active
TIMEOUT=${KSCMP_E2E_START_TIMEOUT:-120}
SERVICE_IP=10.96.0.1
IMAGE_PAUSE=kscmp.local/pause:e2e
IMAGE_BUSYBOX=kscmp.local/busybox:e2e
IMAGE_KSCMP=kscmp.local/kscmp:e2e
# New nodes join tainted until their agent has its profiles on disk (the agent removes it).
KUBELET_EXTRA=(--register-with-taints=kscmp.io/agent-not-ready:NoSchedule)
CGROUP_CONTROLLERS="cpu cpuacct cpuset memory devices freezer blkio pids systemd hugetlb net_cls net_prio perf_event rdma misc"

# shellcheck disable=SC1091 source=proc.sh source-path=SCRIPTDIR
. "$HERE/proc.sh"

need_tools() {
	local lines t
	lines=$("$HERE/tools.sh" env --node) || die "the e2e tools could not be built (see above)"
	eval "$lines"
	for t in containerd containerd-shim-runc-v2 ctr runc iptables ip curl openssl kubectl python3 cc findmnt; do
		command -v "$t" >/dev/null || die "$t is needed (make deps installs it)"
	done
	[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
		die "the CNI plugins are needed in /usr/lib/cni (apt-get install containernetworking-plugins)"
	[ -x /bin/busybox ] || die "/bin/busybox is needed (apt-get install busybox-static)"
}

load_env() {
	local d=$1
	[ -f "$d/$MARK" ] && [ -f "$d/node.env" ] || die "$d is not a node folder made by node.sh start"
	# shellcheck disable=SC1091
	. "$d/node.env"
	if [ -f "$d/cp/env" ]; then
		# shellcheck disable=SC1091
		. "$d/cp/env"
	fi
	export PATH="$KSCMP_E2E_BIN:$PATH"
}

# The state of this node, kept in DIR/node.env (sourced by load_env) and DIR/env (for users).
save_env() {
	local d=$1
	cat >"$d/node.env.tmp" <<EOF
NODE_ID='$NODE_ID'
NODE_NAME='$NODE_NAME'
BRIDGE='$BRIDGE'
SUBNET='$SUBNET'
GATEWAY='$GATEWAY'
CHAIN='$CHAIN'
IP_FORWARD_BEFORE='$IP_FORWARD_BEFORE'
NETNS_BEFORE='$NETNS_BEFORE'
KUBELET_PORT='${KUBELET_PORT:-}'
KUBELET_HEALTHZ_PORT='${KUBELET_HEALTHZ_PORT:-}'
CONTAINERD_PID='${CONTAINERD_PID:-}'
KUBELET_PID='${KUBELET_PID:-}'
KCM_PID='${KCM_PID:-}'
SCHED_PID='${SCHED_PID:-}'
DEPLOYED='${DEPLOYED:-}'
EOF
	mv -f "$d/node.env.tmp" "$d/node.env"
	{
		cat "$d/cp/env" 2>/dev/null || true
		cat <<EOF
export KSCMP_NODE_DIR='$d'
export KSCMP_NODE_NAME='$NODE_NAME'
export KSCMP_KUBELET_ROOT='$d/kubelet'
export KSCMP_E2E_CONTAINERD_SOCK='$d/containerd/containerd.sock'
export KSCMP_E2E_CTR='ctr --address $d/containerd/containerd.sock --namespace k8s.io'
export KSCMP_E2E_POD_LOGS='$d/pod-logs'
export KSCMP_E2E_CGROUP_ROOT=/sys/fs/cgroup
export KSCMP_E2E_KUBELET_PID='${KUBELET_PID:-}'
export KSCMP_E2E_CONTAINERD_PID='${CONTAINERD_PID:-}'
export KSCMP_E2E_IMAGE_KSCMP='$IMAGE_KSCMP'
export KSCMP_E2E_IMAGE_BUSYBOX='$IMAGE_BUSYBOX'
export KSCMP_E2E_IMAGE_PAUSE='$IMAGE_PAUSE'
export KSCMP_E2E_DEPLOYED='${DEPLOYED:-}'
EOF
	} >"$d/env.tmp"
	mv -f "$d/env.tmp" "$d/env"
}

ctr_() { ctr --address "$D/containerd/containerd.sock" --namespace k8s.io "$@"; }
k() { kubectl --kubeconfig "$D/cp/admin.kubeconfig" --request-timeout=30s "$@"; }

# ---- images -----------------------------------------------------------------------------

image_pause() {
	local w=$D/images/pause
	rm -rf "$w" && mkdir -p "$w/root"
	cc -static -O2 -s -Wall -Wextra -Werror "$HERE/node/pause.c" -o "$w/root/pause" ||
		die "building the pause program failed (static glibc: libc6-dev)"
	python3 "$HERE/node/ociimage.py" --ref "$IMAGE_PAUSE" --root "$w/root" --out "$D/images/pause.tar" \
		--entrypoint '["/pause"]' --user 65535:65535 >/dev/null
}

image_busybox() {
	local w=$D/images/busybox a
	rm -rf "$w" && mkdir -p "$w/root/bin" "$w/root/etc" "$w/root/tmp"
	cp /bin/busybox "$w/root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$w/root/bin/$a"
	done
	chmod 1777 "$w/root/tmp"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$w/root/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$w/root/etc/group"
	python3 "$HERE/node/ociimage.py" --ref "$IMAGE_BUSYBOX" --root "$w/root" --out "$D/images/busybox.tar" \
		--cmd '["sh"]' >/dev/null
}

image_kscmp() {
	make -C "$ROOT" --no-print-directory -j2 build/kscmp >"$D/images/make.log" 2>&1 ||
		{ tail -n 20 "$D/images/make.log" >&2; die "make build/kscmp failed"; }
	bash "$ROOT/tests/image/rootfs.sh" "$ROOT/build/kscmp" "$D/images/kscmp-root" >/dev/null
	python3 "$HERE/node/ociimage.py" --ref "$IMAGE_KSCMP" --root "$D/images/kscmp-root" \
		--out "$D/images/kscmp.tar" --entrypoint '["/usr/bin/kscmp"]' --cmd '["agent"]' \
		--env PATH=/usr/bin >/dev/null
}

import_image() {
	ctr_ images import --no-unpack=false "$1" >>"$D/images/import.log" 2>&1 ||
		{ tail -n 5 "$D/images/import.log" >&2; die "ctr images import $1 failed"; }
}

# ---- processes --------------------------------------------------------------------------

write_containerd_config() {
	mkdir -p "$D/containerd" "$D/cni"
	cat >"$D/containerd.toml" <<EOF
# containerd for the kscmp e2e node (node.sh): own root, state and socket.
version = 2
root = "$D/containerd/root"
state = "$D/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$D/containerd/containerd.sock"

[ttrpc]
  address = "$D/containerd/containerd.sock.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$D/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE_PAUSE"
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$D/containerd/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni"
    max_conf_num = 1
EOF
	cat >"$D/cni/10-kscmp-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "kscmp-e2e-$NODE_ID",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$SUBNET", "gateway": "$GATEWAY"}]],
        "routes": [{"dst": "10.96.0.0/24"}],
        "dataDir": "$D/cni-ipam"
      }
    }
  ]
}
EOF
}

start_containerd() {
	containerd --config "$D/containerd.toml" </dev/null >>"$D/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	save_env "$D"
	local deadline=$((SECONDS + TIMEOUT))
	until ctr --address "$D/containerd/containerd.sock" version >/dev/null 2>&1; do
		alive "$CONTAINERD_PID" "$D" || { tail -n 20 "$D/containerd.log" >&2; say "containerd exited"; return 1; }
		[ $SECONDS -lt $deadline ] || { say "containerd did not answer within ${TIMEOUT}s"; return 1; }
		sleep 0.2
	done
}

write_kubelet_config() {
	local p=$D/cp/pki
	mkdir -p "$D/kubelet" "$D/pod-logs"
	cat >"$D/kubelet.yaml" <<EOF
# KubeletConfiguration of the kscmp e2e node (node.sh explains every field).
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: []
localStorageCapacityIsolation: false
containerRuntimeEndpoint: unix://$D/containerd/containerd.sock
imageServiceEndpoint: unix://$D/containerd/containerd.sock
address: $GATEWAY
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
  x509: {clientCAFile: $p/ca.crt}
authorization:
  mode: AlwaysAllow
podLogsDir: $D/pod-logs
maxPods: 250
evictionHard:
  memory.available: 100Mi
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
registerNode: true
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
staticPodPath: ""
syncFrequency: 10s
nodeStatusUpdateFrequency: 5s
EOF
	(
		cd "$p"
		umask 077
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout node.key \
			-out node.csr -subj "/O=system:nodes/CN=system:node:$NODE_NAME"
		openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 12)" \
			-days 30 -extfile openssl.cnf -extensions client -out node.crt
		rm -f node.csr
	) >"$D/node-pki.log" 2>&1 || { cat "$D/node-pki.log" >&2; die "the node's certificate failed"; }
	(
		umask 077
		cat >"$D/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kscmp-e2e
  cluster:
    server: $KSCMP_E2E_SERVER
    certificate-authority: $p/ca.crt
users:
- name: node
  user:
    client-certificate: $p/node.crt
    client-key: $p/node.key
contexts:
- name: kscmp-e2e
  context: {cluster: kscmp-e2e, user: node}
current-context: kscmp-e2e
EOF
	)
}

kubelet_healthy() {
	[ "$(curl -s --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" 2>/dev/null)" = ok ]
}

start_kubelet() {
	local deadline=$((SECONDS + TIMEOUT)) mark
	while :; do
		mark=$(wc -c 2>/dev/null <"$D/kubelet.log" || echo 0)
		kubelet --config "$D/kubelet.yaml" --kubeconfig "$D/kubelet.kubeconfig" \
			--root-dir "$D/kubelet" --hostname-override "$NODE_NAME" --node-ip "$GATEWAY" \
			"${KUBELET_EXTRA[@]}" --v=2 </dev/null >>"$D/kubelet.log" 2>&1 &
		KUBELET_PID=$!
		save_env "$D"
		until kubelet_healthy; do
			alive "$KUBELET_PID" "$D" || break
			[ $SECONDS -lt $deadline ] || die "the kubelet did not become healthy within ${TIMEOUT}s"
			sleep 0.3
		done
		kubelet_healthy && return 0
		# A containerd that answers but whose CRI plugin is still starting makes the kubelet
		# exit at once ("server is not initialized yet"): try again.
		if tail -c +"$((mark + 1))" "$D/kubelet.log" | grep -q 'not initialized yet' && [ $SECONDS -lt $deadline ]; then
			sleep 1
			continue
		fi
		tail -n 20 "$D/kubelet.log" >&2
		die "the kubelet exited"
	done
}

start_control_loops() {
	local p=$D/cp/pki
	kube-controller-manager --kubeconfig "$D/cp/admin.kubeconfig" --leader-elect=false \
		--secure-port=0 --root-ca-file "$p/ca.crt" --service-account-private-key-file "$p/sa.key" \
		--controllers='*,-nodeipam' --node-monitor-grace-period=60s --concurrent-gc-syncs=5 \
		--kube-api-qps=100 --kube-api-burst=200 --v=1 </dev/null >>"$D/controller-manager.log" 2>&1 &
	KCM_PID=$!
	kube-scheduler --kubeconfig "$D/cp/admin.kubeconfig" --leader-elect=false --secure-port=0 \
		--kube-api-qps=100 --kube-api-burst=200 --v=1 </dev/null >>"$D/scheduler.log" 2>&1 &
	SCHED_PID=$!
	save_env "$D"
}

node_ready() {
	[ "$(k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# ---- network ----------------------------------------------------------------------------

pick_network() {
	local i n
	for i in $(seq 1 50); do
		n=$((RANDOM % 250 + 1))
		if ! ip -4 route show | grep -q "^10\.201\.$n\."; then
			SUBNET=10.201.$n.0/24
			GATEWAY=10.201.$n.1
			return 0
		fi
	done
	die "no free /24 in 10.201.0.0/16"
}

setup_network() {
	ip link add "$BRIDGE" type bridge || die "ip link add $BRIDGE type bridge failed"
	ip addr add "$GATEWAY/${SUBNET#*/}" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	sysctl -qw "net.ipv4.conf.$BRIDGE.route_localnet=1"
	iptables -w -t nat -N "$CHAIN"
	iptables -w -t nat -A "$CHAIN" -d "$SERVICE_IP/32" -p tcp --dport 443 \
		-j DNAT --to-destination "127.0.0.1:$KSCMP_E2E_APISERVER_PORT"
	iptables -w -t nat -I PREROUTING -i "$BRIDGE" -j "$CHAIN"
	iptables -w -I FORWARD -i "$BRIDGE" -j DROP
	iptables -w -I FORWARD -o "$BRIDGE" -j DROP
}

# The API server's port changes only with a new control plane; the DNAT follows it.
update_dnat() {
	iptables -w -t nat -F "$CHAIN" 2>/dev/null || return 0
	iptables -w -t nat -A "$CHAIN" -d "$SERVICE_IP/32" -p tcp --dport 443 \
		-j DNAT --to-destination "127.0.0.1:$KSCMP_E2E_APISERVER_PORT"
}

teardown_network() {
	iptables -w -t nat -D PREROUTING -i "$BRIDGE" -j "$CHAIN" 2>/dev/null || true
	iptables -w -t nat -F "$CHAIN" 2>/dev/null || true
	iptables -w -t nat -X "$CHAIN" 2>/dev/null || true
	iptables -w -D FORWARD -i "$BRIDGE" -j DROP 2>/dev/null || true
	iptables -w -D FORWARD -o "$BRIDGE" -j DROP 2>/dev/null || true
	if ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip link del "$BRIDGE" || say "could not delete the bridge $BRIDGE"
	fi
	if [ -n "$IP_FORWARD_BEFORE" ]; then
		sysctl -qw "net.ipv4.ip_forward=$IP_FORWARD_BEFORE" || true
	fi
	rm -rf "/var/lib/cni/networks/kscmp-e2e-$NODE_ID"
	local f
	for f in /var/lib/cni/results/kscmp-e2e-"$NODE_ID"-*; do
		[ -e "$f" ] && rm -f "$f"
	done
	return 0
}

netns_list() { ls /run/netns 2>/dev/null | grep '^cni-' | sort | tr '\n' ' ' || true; }

# ---- one node per machine ---------------------------------------------------------------

# other_node_alive DIR: a node.sh node runs from DIR (one of its processes is alive), or is
# being started there (the `node.sh start` that claimed the machine still runs: it builds
# images for a while before any daemon of the node exists).
other_node_alive() {
	local o=$1 v s c
	s=$(cat "$o/$MARK.starting" 2>/dev/null || true)
	c=$( [ -n "$s" ] && tr '\0' ' ' 2>/dev/null <"/proc/$s/cmdline" || true)
	[[ $c == *"$o"* ]] && return 0
	[ -f "$o/$MARK" ] && [ -f "$o/node.env" ] || return 1
	for v in CONTAINERD_PID KUBELET_PID KCM_PID SCHED_PID; do
		alive "$(sed -n "s/^$v='\(.*\)'$/\1/p" "$o/node.env")" "$o" && return 0
	done
	alive "$(sed -n "s/^export KSCMP_E2E_APISERVER_PID=\(.*\)$/\1/p" "$o/cp/env" 2>/dev/null)" "$o/cp"
}

# The kubepods cgroups are the machine's: one node at a time. A second start (another
# engineer's test run, say) waits for the first node to stop, up to KSCMP_E2E_NODE_WAIT
# seconds (default 900); a node whose processes are all gone no longer counts.
claim_machine() {
	local deadline=$((SECONDS + ${KSCMP_E2E_NODE_WAIT:-900})) other told=
	exec 8>"$LOCK.flock"
	while :; do
		flock 8
		other=$(cat "$LOCK" 2>/dev/null || true)
		if [ -z "$other" ] || [ "$other" = "$D" ] || ! other_node_alive "$other"; then
			echo "$D" >"$LOCK"
			echo "$$" >"$D/$MARK.starting"
			flock -u 8
			exec 8>&-
			return 0
		fi
		flock -u 8
		[ -n "$told" ] || say "another e2e node runs from $other: waiting for it to stop"
		told=1
		[ $SECONDS -lt $deadline ] || die "another e2e node still runs from $other"
		sleep 2
	done
}

# ---- commands ---------------------------------------------------------------------------

cmd_start() {
	D=$(abspath "$1")
	[ -z "$(ls -A "$D")" ] || die "$D is not empty (stop the node there first)"
	need_tools
	claim_machine
	touch "$D/$MARK"
	local t0=$SECONDS
	NODE_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	NODE_NAME=kscmp-e2e-$NODE_ID
	BRIDGE=kscmp$NODE_ID
	CHAIN=KSCMP-E2E-$NODE_ID
	IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
	NETNS_BEFORE=$(netns_list)
	pick_network
	save_env "$D"

	# Images first (no daemon needed), then the control plane.
	mkdir -p "$D/images"
	image_pause
	image_busybox
	image_kscmp
	mkdir -p "$D/cp"
	KSCMP_E2E_SA_ADMISSION=1 KSCMP_E2E_START_TIMEOUT=$TIMEOUT \
		KSCMP_E2E_APISERVER_ARGS="--kubelet-preferred-address-types=InternalIP ${KSCMP_E2E_APISERVER_ARGS:-}" \
		bash "$CLUSTER" start "$D/cp" || die "cluster.sh start failed"
	# shellcheck disable=SC1091
	. "$D/cp/env"
	save_env "$D"
	setup_network
	start_control_loops

	write_containerd_config
	start_containerd || die "containerd did not start"
	for i in pause busybox kscmp; do import_image "$D/images/$i.tar"; done

	KUBELET_PORT=$(free_port "$KSCMP_E2E_APISERVER_PORT")
	KUBELET_HEALTHZ_PORT=$(free_port "$KSCMP_E2E_APISERVER_PORT" "$KUBELET_PORT")
	write_kubelet_config
	start_kubelet
	wait_for "$TIMEOUT" "node $NODE_NAME to be Ready" node_ready ||
		{ tail -n 20 "$D/kubelet.log" >&2; die "the node did not become Ready"; }
	wait_for "$TIMEOUT" "ServiceAccount default/default" k -n default get serviceaccount default ||
		die "the controller-manager did not create ServiceAccount default/default"
	say "up in $((SECONDS - t0))s: node $NODE_NAME Ready (kubelet pid $KUBELET_PID, containerd pid" \
		"$CONTAINERD_PID), API server $KSCMP_E2E_SERVER, pods on $SUBNET ($BRIDGE); . $D/env"
}

cmd_image() {
	D=$(cd "$1" && pwd)
	load_env "$D"
	image_kscmp
	import_image "$D/images/kscmp.tar"
}

# The manifests of deploy/ for this node: the kubelet root and the local image.
deploy_manifests() {
	local out=$1 f
	mkdir -p "$out"
	for f in "$ROOT"/deploy/*.yaml; do
		sed -e "s|/var/lib/kubelet|$D/kubelet|g" \
			-e "s|image: ghcr.io/kscmp/kscmp:.*|image: $IMAGE_KSCMP|" \
			-e "s|imagePullPolicy: IfNotPresent|imagePullPolicy: Never|" "$f" >"$out/$(basename "$f")"
	done
}

agent_ready() {
	local ds=$1 want ready
	want=$(k -n kscmp-system get ds "$ds" -o jsonpath='{.status.desiredNumberScheduled}' 2>/dev/null)
	ready=$(k -n kscmp-system get ds "$ds" -o jsonpath='{.status.numberReady}' 2>/dev/null)
	[ -n "$want" ] && [ "$want" -ge 1 ] && [ "$ready" = "$want" ]
}

cmd_deploy() {
	D=$(cd "$1" && pwd)
	local how=${2:-}
	load_env "$D"
	[ -z "$DEPLOYED" ] || die "kscmp is deployed already ($DEPLOYED); node.sh undeploy first"
	local ds=kscmp
	if [ "$how" = --helm ]; then
		command -v helm >/dev/null || die "helm is needed (tools.sh builds it)"
		k apply --server-side --force-conflicts -f "$ROOT/deploy/00-crds.yaml" >/dev/null
		HELM_CONFIG_HOME=$D/helm HELM_CACHE_HOME=$D/helm HELM_DATA_HOME=$D/helm \
			helm --kubeconfig "$D/cp/admin.kubeconfig" install kscmp "$ROOT/charts/kscmp" \
			-n kscmp-system --create-namespace --set crds.install=false \
			--set "kubeletRoot=$D/kubelet" --set image.repository="${IMAGE_KSCMP%:*}" \
			--set image.tag="${IMAGE_KSCMP##*:}" --set image.pullPolicy=Never \
			${KSCMP_E2E_HELM_ARGS:-} >"$D/helm.log" 2>&1 || { cat "$D/helm.log" >&2; die "helm install failed"; }
		DEPLOYED=helm
	elif [ -z "$how" ]; then
		deploy_manifests "$D/deploy"
		k apply --server-side --force-conflicts -f "$D/deploy/" >"$D/deploy.log" 2>&1 ||
			{ cat "$D/deploy.log" >&2; die "kubectl apply -f deploy/ failed"; }
		DEPLOYED=manifests
	else
		usage
	fi
	save_env "$D"
	wait_for "$TIMEOUT" "DaemonSet kscmp-system/$ds to be Ready" agent_ready "$ds" || {
		k -n kscmp-system get pods -o wide >&2 || true
		k -n kscmp-system describe pods >&2 || true
		die "the agent did not become Ready"
	}
	say "kscmp deployed ($DEPLOYED), DaemonSet kscmp-system/$ds Ready"
}

cmd_undeploy() {
	D=$(cd "$1" && pwd)
	load_env "$D"
	case $DEPLOYED in
	helm)
		HELM_CONFIG_HOME=$D/helm HELM_CACHE_HOME=$D/helm HELM_DATA_HOME=$D/helm \
			helm --kubeconfig "$D/cp/admin.kubeconfig" uninstall kscmp -n kscmp-system --wait \
			--timeout 120s >>"$D/helm.log" 2>&1 || say "helm uninstall failed (see $D/helm.log)"
		;;
	manifests)
		# Everything but the CRDs (the policies stay) and the namespace, as deploy/README.md says.
		local f files=()
		for f in "$D"/deploy/*.yaml; do
			case $(basename "$f") in 00-crds.yaml | 01-namespace.yaml) ;; *) files+=(-f "$f") ;; esac
		done
		k delete --wait=true --timeout=120s --ignore-not-found "${files[@]}" >/dev/null 2>&1 ||
			say "kubectl delete of deploy/ failed"
		;;
	esac
	# The pod goes with its DaemonSet; wait so the next deploy starts from nothing.
	wait_for "$TIMEOUT" "the agent's pods to go" \
		sh -c "[ -z \"\$(kubectl --kubeconfig '$D/cp/admin.kubeconfig' -n kscmp-system get pods -o name 2>/dev/null)\" ]" ||
		say "the agent's pods are still there"
	DEPLOYED=
	save_env "$D"
}

stop_node_processes() {
	kill_pid "${KUBELET_PID:-}" "$D" kubelet 30 || true
	KUBELET_PID=
	kill_pid "${CONTAINERD_PID:-}" "$D" containerd 30 || true
	CONTAINERD_PID=
	save_env "$D"
}

# term_all_tasks SECONDS: SIGTERM to every container, then wait for them to exit.
term_all_tasks() {
	local t
	for t in $(ctr_ tasks ls -q 2>/dev/null); do
		ctr_ tasks kill -s SIGTERM "$t" >/dev/null 2>&1 || true
	done
	for _ in $(seq 1 $(($1 * 10))); do
		[ -z "$(ctr_ tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"')" ] && return 0
		sleep 0.1
	done
}

kill_all_tasks() {
	local t
	for t in $(ctr_ tasks ls -q 2>/dev/null); do
		ctr_ tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
	done
	for _ in $(seq 1 100); do
		[ -z "$(ctr_ tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"')" ] && return 0
		sleep 0.1
	done
	say "some containers did not stop on SIGKILL"
}

cmd_stop_node() {
	D=$(cd "$1" && pwd)
	load_env "$D"
	if [ "${2:-}" = --kill ] || [ "${2:-}" = --graceful ]; then
		kill_pid "${KUBELET_PID:-}" "$D" kubelet 30 || true
		KUBELET_PID=
		save_env "$D"
		if alive "${CONTAINERD_PID:-}" "$D"; then
			[ "$2" = --kill ] || term_all_tasks 15
			kill_all_tasks
		fi
	fi
	stop_node_processes
}

cmd_start_node() {
	D=$(cd "$1" && pwd)
	load_env "$D"
	alive "${CONTAINERD_PID:-}" "$D" || start_containerd || die "containerd did not start"
	[ "${2:-}" = --runtime-only ] && return 0
	alive "${KUBELET_PID:-}" "$D" || start_kubelet
}

# Everything below DIR that is mounted, deepest first.
umount_all() {
	local m n=0
	for _ in 1 2 3; do
		n=0
		while read -r m; do
			[ -n "$m" ] || continue
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
			n=$((n + 1))
		done < <(findmnt -rn -o TARGET | awk -v d="$D/" 'index($0, d) == 1 || $0 == substr(d, 1, length(d) - 1)' | sort -r)
		[ $n -gt 0 ] || return 0
	done
	findmnt -rn -o TARGET | grep -F "$D" >&2 && say "mounts below $D remain"
	return 0
}

# Removes the pods' cgroups the kubelet made (kubepods and below), deepest first, if empty.
remove_cgroups() {
	local c
	for c in $CGROUP_CONTROLLERS; do
		[ -d "/sys/fs/cgroup/$c/kubepods" ] || continue
		find "/sys/fs/cgroup/$c/kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	for c in unified; do
		[ -d "/sys/fs/cgroup/$c/kubepods" ] && find "/sys/fs/cgroup/$c/kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

cmd_stop() {
	D=$1
	[ -d "$D" ] || return 0
	D=$(cd "$D" && pwd)
	[ -f "$D/$MARK" ] || die "$D was not made by node.sh start; not touching it"
	if [ ! -f "$D/node.env" ]; then
		rm -rf "$D"
		return 0
	fi
	load_env "$D"
	# 1. Workloads away while the kubelet runs, so CRI tears sandboxes down properly.
	if alive "${KUBELET_PID:-}" "$D" && [ -f "$D/cp/admin.kubeconfig" ] && k get --raw /readyz >/dev/null 2>&1; then
		k delete daemonsets,deployments,replicasets,statefulsets,jobs --all -A --wait=false >/dev/null 2>&1 || true
		k delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1 || true
		wait_for 60 "the pods to go" sh -c "[ -z \"\$(kubectl --kubeconfig '$D/cp/admin.kubeconfig' get pods -A -o name 2>/dev/null)\" ]" || true
	fi
	# 2. The node: kubelet, then whatever containerd still runs, then containerd and its shims.
	kill_pid "${KUBELET_PID:-}" "$D" kubelet 30 || true
	if [ -S "$D/containerd/containerd.sock" ] && ! alive "${CONTAINERD_PID:-}" "$D"; then
		start_containerd || true # to clean up the containers a stop-node left running
	fi
	if alive "${CONTAINERD_PID:-}" "$D"; then
		local t
		kill_all_tasks
		for _ in $(seq 1 50); do
			[ -z "$(ctr_ tasks ls -q 2>/dev/null | head -n1)" ] && break
			for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks rm -f "$t" >/dev/null 2>&1 || true; done
			sleep 0.2
		done
		for t in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$t" >/dev/null 2>&1 || true; done
	fi
	kill_pid "${CONTAINERD_PID:-}" "$D" containerd 30 || true
	local p
	for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $D/" 2>/dev/null || true); do
		kill_pid "$p" "$D" containerd-shim 5 || true
	done
	kill_pid "${SCHED_PID:-}" "$D" kube-scheduler || true
	kill_pid "${KCM_PID:-}" "$D" kube-controller-manager || true
	# 3. Mounts, network namespaces, network, cgroups.
	umount_all
	local ns
	for ns in $(netns_list); do
		case " $NETNS_BEFORE " in *" $ns "*) continue ;; esac
		umount "/run/netns/$ns" 2>/dev/null || true
		rm -f "/run/netns/$ns"
	done
	teardown_network
	remove_cgroups
	# 4. The control plane and the folder.
	[ -d "$D/cp" ] && { bash "$CLUSTER" stop "$D/cp" || say "cluster.sh stop failed"; }
	umount_all
	rm -rf "$D" || say "could not remove all of $D"
	if [ -f "$LOCK" ] && [ "$(cat "$LOCK")" = "$D" ]; then rm -f "$LOCK"; fi
}

cmd_status() {
	D=$(cd "$1" && pwd)
	load_env "$D"
	local n
	for n in KUBELET CONTAINERD KCM SCHED; do
		local v=${n}_PID
		alive "${!v:-}" "$D" || { say "$n is not running"; exit 1; }
	done
	bash "$CLUSTER" status "$D/cp" >/dev/null || exit 1
	node_ready || { say "node $NODE_NAME is not Ready"; exit 1; }
	echo ok
}

[ $# -ge 2 ] || usage
cmd=$1
shift
case $cmd in
start) [ $# -eq 1 ] || usage; cmd_start "$1" ;;
deploy) if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi; cmd_deploy "$@" ;;
undeploy) [ $# -eq 1 ] || usage; cmd_undeploy "$1" ;;
image) [ $# -eq 1 ] || usage; cmd_image "$1" ;;
stop-node) if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi; cmd_stop_node "$@" ;;
start-node) if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi; cmd_start_node "$@" ;;
stop) [ $# -eq 1 ] || usage; cmd_stop "$1" ;;
status) [ $# -eq 1 ] || usage; cmd_status "$1" ;;
*) usage ;;
esac
