#!/usr/bin/env bash
# The repository stands on its own: what users read points only inside it, and a copy with
# nothing beside it (no conformance vectors) runs what does not need them and says what it
# skips (tests/packaging/check_selfcontained.py).
exec python3 "$(dirname "$0")/check_selfcontained.py" "$@"
