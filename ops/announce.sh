#!/usr/bin/env bash
# Tell the person at the terminal where to chat once everything answers.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/wait-for-http.sh "http://localhost:${ACTIONS_PORT:-5055}/health" 300
.venv-app/bin/python -c "from ops.stack import warm_up_actions; warm_up_actions('http://localhost:${ACTIONS_PORT:-5055}')" \
  || echo "the action server did not warm up; the first question may be slow"
ops/wait-for-http.sh "http://localhost:${RASA_PORT:-5005}/status?token=${RASA_TOKEN}" 600  # Rasa's API wants its token
ops/wait-for-http.sh "http://localhost:${WEB_PORT:-8000}/healthz" 120
# A first account (advisor and editor) kept in var/demo-agent.txt, then every page and how to sign in.
.venv-app/bin/python -m ops.banner
exec sleep infinity
