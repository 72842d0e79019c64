# One entry point: make install | run | test | eval | train | lint
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
APP_VENV  := .venv-app
RASA      := $(RASA_VENV)/bin/rasa
APP_PY    := $(APP_VENV)/bin/python
RASA_DATA := --data bot/data --config config.yml --domain domain.yml
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONPATH := $(CURDIR)

KB  ?= knowledge/sample_kb
OUT ?= var/eval/$(notdir $(patsubst %/,%,$(dir $(abspath $(DATA)))))
VIA ?= direct
# Reviewed (labelled) questions of the base under evaluation, if it has some: the dev.jsonl
# beside its folder (shared/eval/<set>/dev.jsonl), or the sample help centre's.
REVIEWED ?= $(firstword $(wildcard $(dir $(abspath $(KB)))dev.jsonl $(dir $(abspath $(KB)))sample_queries/dev.jsonl))

.PHONY: help install system-packages run run-cluster failover train validate test test-bot test-conversations test-app test-browser eval eval-peers bench bench-relay bench-streams clean

help:
	@echo "make install   both virtual environments and the system packages the run needs"
	@echo "make run       ingest the sample knowledge base, train if needed, start everything"
	@echo "make run-cluster   two of each process behind HAProxy, Chroma server, Redis under Sentinel (ports 9000-9049)"
	@echo "make failover [CUSTOMERS=50 FAILOVER_PAUSE=5]   kill a web app, a Rasa, an action server, the Redis primary under load"
	@echo "make test      the whole test suite (real Redis, Chroma, Rasa server and action server)"
	@echo "make eval KB=<folder> DATA=<file.jsonl> [OUT=<folder>] [VIA=rasa]"
	@echo "make bench [CUSTOMERS=50 DURATION=60 PAUSE=5 MAX_TURNS=5000 SATURATION=10]   latency, throughput, memory on a fresh stack"
	@echo "make bench-relay [CONVERSATIONS=20 DURATION=60 RELAY_PAUSE=5]   the agent -> customer relay alone"
	@echo "make bench-streams [STREAMS=1000 CUSTOMERS=50 DURATION=60 PAUSE=5]   customers chatting while STREAMS widgets stay open"

install: system-packages $(RASA_VENV)/.installed $(APP_VENV)/.installed

system-packages:
	@command -v redis-server >/dev/null || { echo "installing redis-server"; apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
	@command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
	@command -v chromium >/dev/null || { echo "installing chromium (browser tests)"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v haproxy >/dev/null && command -v redis-sentinel >/dev/null || { echo "installing haproxy, redis-sentinel (make run-cluster)"; apt-get update -qq && apt-get install -y -qq haproxy redis-sentinel >/dev/null; }

$(RASA_VENV)/.installed: requirements/rasa.lock
	@test -x $(RASA_VENV)/bin/python || $$(ops/find-python.sh 3.10) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip==24.3.1
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.lock
	@touch $@

$(APP_VENV)/.installed: requirements/app.lock
	@test -x $(APP_VENV)/bin/python || $$(ops/find-python.sh 3.11) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q --upgrade pip==24.3.1
	$(APP_VENV)/bin/pip install -q -r requirements/app.lock
	@touch $@

run: install
	ops/run.sh

# Replicas on one machine, as a simulation of several hosts (ops/cluster/); Ctrl-C stops everything.
run-cluster: install train
	$(APP_PY) -m ops.cluster run

# A fresh cluster on ports 9050-9099, customers at a human pace, then one process of each kind killed.
failover: install train
	$(APP_PY) -m ops.cluster failover --customers $(CUSTOMERS) --pause $(or $(FAILOVER_PAUSE),5)

# Rasa skips training itself when the newest model in models/ has the same fingerprint.
train:
	$(RASA) train $(RASA_DATA) --out models --num-threads 2

validate:
	$(RASA) data validate $(RASA_DATA) --fail-on-warnings

test: install validate train test-bot test-conversations test-app

test-bot:
	$(RASA_VENV)/bin/python -m pytest -q tests/bot --confcutdir=tests/bot

test-conversations:
	$(RASA) test core --stories tests/conversations --model models --out var/test-results/conversations --e2e --fail-on-prediction-errors

# One session, one stack: the end-to-end and browser tests run last (tests/conftest.py orders them).
# PYTEST_ARGS selects, e.g. PYTEST_ARGS='-m "not e2e"' for the quick tests alone (markers in pytest.ini).
# -X faulthandler: a native crash after the session (at exit) still prints every thread's stack.
PYTEST_ARGS ?=
test-app:
	$(APP_PY) -X faulthandler -m pytest -q tests --ignore=tests/bot --ignore=tests/conversations $(PYTEST_ARGS)

test-browser:
	$(APP_PY) -m pytest -q tests --ignore=tests/bot --ignore=tests/conversations -m browser

eval: $(if $(filter rasa,$(VIA)),train)
	@test -n "$(DATA)" || { echo "usage: make eval KB=<folder> DATA=<file.jsonl> [OUT=<folder>] [VIA=rasa]"; exit 2; }
	REVIEWED_QUESTIONS_PATH=$(REVIEWED) $(APP_PY) -m $(if $(filter rasa,$(VIA)),ops.eval_rasa,knowledge eval --via $(VIA)) --kb $(KB) --data $(DATA) --out $(OUT)

# Simulated customers and agents against a fresh stack; table printed, var/bench/bench.json written.
CUSTOMERS ?= 50
DURATION ?= 60
PAUSE ?= 5
MAX_TURNS ?= 5000
SATURATION ?= 10
CONVERSATIONS ?= 20
RELAY_PAUSE ?= 5
BENCH_ARGS ?=
bench: install train
	$(APP_PY) -m ops.bench --customers $(CUSTOMERS) --duration $(DURATION) --pause $(PAUSE) --max-turns $(MAX_TURNS) \
		--saturation-seconds $(SATURATION) --relay-conversations $(CONVERSATIONS) --relay-pause $(RELAY_PAUSE) $(BENCH_ARGS)

bench-relay: install train
	$(APP_PY) -m ops.bench_relay --conversations $(CONVERSATIONS) --duration $(DURATION) --messages $(MAX_TURNS) --pause $(RELAY_PAUSE)

# Answered-question latency with and without STREAMS open customer live streams, on a fresh stack.
STREAMS ?= 1000
bench-streams: install train
	$(APP_PY) -m ops.bench_streams --streams $(STREAMS) --customers $(CUSTOMERS) --duration $(DURATION) --pause $(PAUSE) \
		--max-turns $(MAX_TURNS)

clean:
	rm -rf var/chroma var/test-results .pytest_cache

# This project against its baselines ("peers"): Rasa's FAQ approach, a plain LangChain + Chroma
# retriever and BM25 on the same queries (PEER_EPOCHS shortens the Rasa baseline's training; default 100).
eval-peers:
	@test -n "$(DATA)" || { echo "usage: make eval-peers KB=<folder> DATA=<file.jsonl> [OUT=<folder>]"; exit 2; }
	$(APP_PY) -m knowledge.evaluation.baselines --kb $(KB) --data $(DATA) --out $(OUT)
