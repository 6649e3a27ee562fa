#!/usr/bin/env bash
# The harness itself: tools build, a cluster starts, RBAC matters, 410 on restart, cleanup.
exec bash "$(dirname "$0")/smoke.sh" "$@"
