#!/usr/bin/env bash
# make run: everything on embedded defaults, under one process manager (honcho).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# Plain http on this machine: a Secure session cookie would never come back. Serve over HTTPS elsewhere.
export SECURE_COOKIES="${SECURE_COOKIES:-false}"
# Secrets made once and kept in var/ (mode 600) unless given: Rasa's HTTP API (trackers, events,
# model) answers only with RASA_TOKEN, the action server only with ACTIONS_TOKEN; the web app uses both.
# Redis's password, when make run starts its own Redis, below.
# Hex, so that no secret starts with "-" (Rasa read one as an option and would not start).
secret() {  # secret NAME FILE: the variable if set, else the file's content, made once
  if [ -z "${!1:-}" ]; then
    mkdir -p var
    [ -s "$2" ] || (umask 077 && .venv-app/bin/python -c "import secrets; print(secrets.token_hex(24))" > "$2")
    printf -v "$1" '%s' "$(cat "$2")"
  fi
  export "${1?}"
}
secret RASA_TOKEN var/rasa-token
secret ACTIONS_TOKEN var/actions-token
# Returning customers: sites sign their customers' ids with it; /demo/returning shows the demo site to a
# signed-in demo customer.
secret CUSTOMER_ID_SECRET var/customer-id-secret
export DEMO_CUSTOMER_ID="${DEMO_CUSTOMER_ID:-demo-customer}"

export LOCAL_REDIS_PORT="${LOCAL_REDIS_PORT:-6380}"
if [ -z "${REDIS_URL:-}" ]; then
  # Our own Redis (ops/redis.sh) asks for a password too, made once into var/redis-password.
  secret REDIS_PASSWORD var/redis-password
  export OWN_REDIS=1 REDIS_URL="redis://:${REDIS_PASSWORD}@127.0.0.1:${LOCAL_REDIS_PORT}/0"
fi
# REDIS_HOST, _PORT, _DB, _USERNAME, _PASSWORD, _USE_SSL for Rasa; a REDIS_URL Rasa cannot follow stops here.
eval "$(.venv-app/bin/python -m handoff.connection "$REDIS_URL")"
export REDIS_HOST REDIS_PORT REDIS_DB REDIS_USERNAME REDIS_PASSWORD REDIS_USE_SSL
# Rasa's trackers expire with the conversations (endpoints.yml: record_exp).
export CONVERSATION_RETENTION_S="${CONVERSATION_RETENTION_S:-2592000}"
export RASA_TRACKER_RETENTION_S="${RASA_TRACKER_RETENTION_S:-$CONVERSATION_RETENTION_S}"

# Rasa's own command line less the warnings nobody running the bot can act on (ops/rasa_cli.py).
export SQLALCHEMY_SILENCE_UBER_WARNING=1
echo "== knowledge base (Chroma under var/chroma unless CHROMA_HOST is set)"
.venv-app/bin/python -m knowledge ingest --if-empty
echo "== Rasa model (trained only if missing or its training data changed)"
make --no-print-directory train RASA=".venv-rasa/bin/python -m ops.rasa_cli"
echo "== starting Redis, the action server, Rasa, the web app and two content workers"
# Two content workers: checks, publishes and rollbacks run one at a time, so one worker stays free
# for the editors' previews while a long publish runs.
# Ctrl-C: honcho sends every process SIGTERM and exits 130 once they have all stopped on their own;
# that is a clean stop, so make hears 0 (and prints no "Error 130"). Any other exit status is passed on.
interrupted=""
trap 'interrupted=1' INT TERM
status=0
.venv-app/bin/honcho start -f Procfile -c worker=2 || status=$?
if [ -n "$interrupted" ] && { [ "$status" = 130 ] || [ "$status" = 143 ]; }; then
  echo "Stopped."
  exit 0
fi
exit "$status"
