#!/usr/bin/env bash
# Tell the person at the terminal where to chat once everything answers.
set -euo pipefail
cd "$(dirname "$0")/.."
ops/wait-for-http.sh "http://localhost:${ACTIONS_PORT:-5055}/health" 300
.venv-app/bin/python -c "from ops.stack import warm_up_actions; warm_up_actions('http://localhost:${ACTIONS_PORT:-5055}')" \
  || echo "the action server did not warm up; the first question may be slow"
ops/wait-for-http.sh "http://localhost:${RASA_PORT:-5005}/status?token=${RASA_TOKEN}" 600  # Rasa's API wants its token
ops/wait-for-http.sh "http://localhost:${WEB_PORT:-8000}/healthz" 120
# A first account, advisor and editor, so that a hand-over has someone to go to; its password is kept in var/.
if [ ! -s var/demo-agent.txt ]; then
  .venv-app/bin/python -m handoff add-agent demo --name "Demo agent" --languages en,fr --roles agent,editor \
    --generate-password --if-none > var/demo-agent.txt
else  # made before editors existed
  .venv-app/bin/python -m handoff grant-role demo editor > /dev/null 2>&1 || true
fi
echo ""
echo "  Ready. Chat with the bot at   http://localhost:${WEB_PORT:-8000}/"
echo "  Help centre editor:           http://localhost:${WEB_PORT:-8000}/editor (same account)"
echo "  Agent API (OpenAPI):          http://localhost:${WEB_PORT:-8000}/docs"
echo "  Agent account:                $(cat var/demo-agent.txt 2>/dev/null || echo 'see python -m handoff agents')"
echo "  Rasa REST channel:            http://localhost:${RASA_PORT:-5005}/webhooks/rest/webhook"
echo "  Stop everything with Ctrl-C."
echo ""
exec sleep infinity
