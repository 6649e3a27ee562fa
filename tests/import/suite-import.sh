#!/usr/bin/env bash
# suite-import.sh - `kscmp import`: round trips against an independent reading, malformed input,
# determinism (tests/import/import_suite.py says how).
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/import_suite.py" "$@"
