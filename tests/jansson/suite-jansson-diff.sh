#!/usr/bin/env bash
# suite-jansson-diff.sh - the jansson build/kscmp links (deps/build.sh's, with
# deps/patches/jansson-*.patch: json_loadb() takes whitespace and plain string bytes in runs)
# decodes every input as Debian's does: the same values, the same errors with the same line,
# column and position (tests/tools/jansson_diff.c). The inputs: fixed cases, nesting to the
# depth limit, KSCMP_JANSSON_COUNT (default 20000) random documents from KSCMP_JANSSON_SEED
# (default 20261204) with 4 mutations each, and the JSON the fuzzers and the conformance
# vectors start from, 50 mutations each. Then a shorter run under valgrind, when there is one,
# for reads past the end of an input. Each of these groups is one check. Skipped when deps/build.sh has not built (or cannot
# build) the patched archive: then build/kscmp links Debian's jansson. Prints `N passed,
# N failed` last.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
if ! bash deps/build.sh >/dev/null; then
	echo "skip the comparison: deps/build.sh built no jansson (above), so build/kscmp links Debian's"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
make --no-print-directory build/tools/jansson_diff >&2 || { echo "0 passed, 1 failed"; exit 1; }

seed=${KSCMP_JANSSON_SEED:-20261204}
count=${KSCMP_JANSSON_COUNT:-20000}
files=()
for d in fuzz_json_doc fuzz_json_prune fuzz_node_taint fuzz_proof fuzz_recording_json \
	fuzz_recording_status fuzz_watch_stream; do
	for f in tests/fuzz/seeds/"$d"/*; do
		[ -f "$f" ] && files+=("$f")
	done
done
if [ -d "${KSCMP_VECTORS:-}" ]; then
	while IFS= read -r f; do files+=("$f"); done < <(find "$KSCMP_VECTORS" -name '*.json' | sort)
fi

out=$(timeout 900 build/tools/jansson_diff "$seed" "$count" "${files[@]}")
rc=$?
printf '%s\n' "$out" | sed '$d'
total=$(printf '%s\n' "$out" | tail -n1)
if [ $rc -ne 0 ] && ! printf '%s\n' "$total" | grep -q ' failed$'; then
	echo "jansson_diff ended with status $rc"
	echo "0 passed, 1 failed"
	exit 1
fi
# One check per group of inputs (fixed cases, nesting, random documents, files), each passed
# when none of its comparisons differed: the comparisons themselves (about 1.8 million) are
# printed above, not counted as checks.
read -r passed failed < <(printf '%s\n' "$out" | awk '
	/ failed so far$/ { f = $(NF - 3) + 0; if (f > last) bad++; else good++; last = f }
	END { print good + 0, bad + 0 }')
if [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi

if command -v valgrind >/dev/null; then
	# Inputs are allocated to their exact size, so a read past one is an invalid read here.
	if vout=$(timeout 900 valgrind -q --error-exitcode=99 build/tools/jansson_diff "$((seed + 1))" 300 2>&1); then
		passed=$((passed + 1))
		echo "valgrind: $(printf '%s\n' "$vout" | tail -n1), no memory errors"
	else
		failed=$((failed + 1))
		printf '%s\n' "$vout" | tail -n 40
		echo "valgrind: memory errors or differences (above)"
	fi
else
	echo "skip the valgrind run: no valgrind"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
