#!/usr/bin/env bash
# CRDs, manifests and chart checked offline (parse, structure, schemas, RBAC, confinement).
exec bash "$(dirname "$0")/check-static.sh" "$@"
