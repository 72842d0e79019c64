#!/usr/bin/env bash
# The project's own Redis, persistent under var/redis (append-only file, fsync on every write: an acknowledged write survives a crash).
# When REDIS_URL points elsewhere, there is nothing to run: wait so honcho keeps the others.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${OWN_REDIS:-}" ] && [ -n "${REDIS_URL:-}" ] && [ "${REDIS_URL}" != "redis://127.0.0.1:${LOCAL_REDIS_PORT:-6380}/0" ]; then
  echo "using external Redis at ${REDIS_URL#*@}"; exec sleep infinity  # the host, not the password
fi
mkdir -p var/redis
# The password (ops/run.sh made it) goes in through stdin, as configuration: never on a command line.
exec redis-server - --bind 127.0.0.1 --port "${LOCAL_REDIS_PORT:-6380}" --dir "$PWD/var/redis" \
  --appendonly yes --appendfsync always --save "" --protected-mode yes \
  <<<"${REDIS_PASSWORD:+requirepass ${REDIS_PASSWORD}}"
