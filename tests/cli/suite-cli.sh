#!/usr/bin/env bash
# The offline command line as a user runs it (tests/cli/cli_suite.py); prints
# 'N passed, N failed'.
set -u
cd "$(dirname "$0")/../.." || exit 1
exec python3 tests/cli/cli_suite.py
