#!/usr/bin/env bash
# wait-for-http.sh URL [SECONDS]: wait until URL answers 200.
set -euo pipefail
url="$1"; limit="${2:-300}"
for _ in $(seq "$limit"); do
  if curl -fsS -o /dev/null "$url" 2>/dev/null; then exit 0; fi
  sleep 1
done
echo "timed out waiting for $url" >&2; exit 1
