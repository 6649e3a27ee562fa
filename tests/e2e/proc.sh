# proc.sh - the helpers cluster.sh and node.sh share, sourced by both: messages, processes
# (alive, kill_pid), ports (port_in_use, free_port) and waiting (wait_for).
# shellcheck shell=bash

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

abspath() { mkdir -p "$1" && (cd "$1" && pwd); }

# alive PID DIR: PID runs and its command line names something below DIR, so a recycled PID
# of someone else's process is never signalled. A zombie has an empty command line: not alive.
alive() {
	[ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2/"
}

# kill_pid PID DIR NAME [SECONDS]: TERM, wait up to SECONDS (default 20), then KILL; status
# 1 (said) if it still runs 5 s after.
kill_pid() {
	local pid=$1 dir=$2 name=$3 secs=${4:-20}
	alive "$pid" "$dir" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 $((secs * 10))); do
		alive "$pid" "$dir" || return 0
		sleep 0.1
	done
	say "$name (pid $pid) did not stop on TERM; killing it"
	kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		alive "$pid" "$dir" || return 0
		sleep 0.1
	done
	say "$name (pid $pid) is still running"
	return 1
}

port_in_use() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A free TCP port below the kernel's ephemeral range, not one of the arguments.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		case " $* " in *" $p "*) continue ;; esac
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "no free port found"
}

# wait_for SECONDS WHAT COMMAND...: run COMMAND until it succeeds.
wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { say "timed out after ${secs}s waiting for $what"; return 1; }
		sleep 0.5
	done
}
