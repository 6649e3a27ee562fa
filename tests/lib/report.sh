# report.sh - the pass/fail reporter of the shell suites under tests/, the shell side of
# report.py; sourced, with bash. One line a check: `ok NAME`, or `bad NAME [DETAIL...]` (each
# detail on its own line, indented below the FAIL line), or `skip NAME WHY` for what this
# machine cannot check (counted apart, named in run_all.py's summary); report_finish prints
# the closing `N passed, N failed` (`, N skipped` after it when something was skipped; a run
# that counted nothing is a failure) and exits.
# shellcheck shell=bash

PASS=0
FAIL=0
SKIP=0

ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
bad() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ $# -lt 2 ] || printf '     %s\n' "${@:2}"; }
skip() { SKIP=$((SKIP + 1)); printf 'skip %s: %s\n' "$1" "$2"; }

# report_add_counts FILE: adds the counts a Python part kept in FILE (report.py's
# counts_path: `PASSED FAILED`), when FILE is there.
report_add_counts() {
	local p f
	[ -f "$1" ] || return 0
	read -r p f <"$1"
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
}

# report_finish RC: prints `N passed, N failed[, N skipped]`; exits 0 when nothing failed and
# RC is 0.
report_finish() {
	[ "$PASS" -gt 0 ] || [ "$FAIL" -gt 0 ] || FAIL=1
	if [ "$SKIP" -gt 0 ]; then
		echo "$PASS passed, $FAIL failed, $SKIP skipped"
	else
		echo "$PASS passed, $FAIL failed"
	fi
	[ "$FAIL" -eq 0 ] && [ "$1" -eq 0 ] && exit 0
	exit 1
}

# report_watchdog SECONDS: TERM to this shell when SECONDS have passed (its trap then cleans
# up); WATCHDOG is the watchdog's PID, for the trap to kill (with its sleep) when done first.
report_watchdog() {
	(
		sleep "$1" &
		s=$!
		trap 'kill $s 2>/dev/null; exit 0' TERM
		wait $s && kill -TERM $$ 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	# shellcheck disable=SC2034  # read by the sourcing script
	WATCHDOG=$!
}

# report_stop PID: TERM to a child still running, KILL if it is not gone within 10 s.
report_stop() {
	if [ -z "$1" ] || ! kill -0 "$1" 2>/dev/null; then return 0; fi
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# report_python COUNTS COMMAND...: runs a suite's Python part in the background (PY is its
# PID, for the trap to stop: a TERM from the watchdog is handled at once) and waits for it. A
# failing exit with no failure in COUNTS (report.py's counts_path) is a failure of its own.
report_python() {
	local counts=$1 rc f=0
	shift
	"$@" &
	PY=$!
	wait "$PY"
	rc=$?
	PY=
	if [ $rc -ne 0 ]; then
		[ -s "$counts" ] && read -r _ f <"$counts"
		[ "$f" -gt 0 ] || bad "${2##*/} exited with $rc"
	fi
}
