#!/usr/bin/env bash
# Tell the person at the terminal where to chat once everything answers.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/wait-for-http.sh "http://localhost:${ACTIONS_PORT:-5055}/health" 300
ops/wait-for-http.sh "http://localhost:${RASA_PORT:-5005}/status" 600
ops/wait-for-http.sh "http://localhost:${WEB_PORT:-8000}/healthz" 120
echo ""
echo "  Ready. Chat with the bot at   http://localhost:${WEB_PORT:-8000}/"
echo "  Rasa REST channel:            http://localhost:${RASA_PORT:-5005}/webhooks/rest/webhook"
echo "  Stop everything with Ctrl-C."
echo ""
exec sleep infinity
