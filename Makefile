# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
# Deploying: `make package`, `make deploy` and `make destroy` (README, "Deploying to AWS").
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)

STAGE ?= dev
OUT := out/$(STAGE)

.PHONY: install node translations messages run test test-slow load bench lint typecheck package deploy destroy clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@echo "… installing into $(VENV) (first run takes a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "✗ could not create $(VENV): is Python 3.11 installed?"; exit 1; }
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements-dev.txt || { echo "✗ pip could not install requirements-dev.txt; see its output above"; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

# asl-validator, pinned in package-lock.json; statelint is a Ruby gem.
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "✗ npm is needed for the ASL check: install Node.js"; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The .po catalogues are kept in git; their compiled .mo files are built here, inside chalicelib/ so that they ship.
LOCALE := chalicelib/locale
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po))

translations: $(CATALOGUES)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po | $(STAMP)
	@echo "… compiling the $* catalogue"
	@$(BIN)/pybabel compile --statistics -l $* -i $< -o $@ || { echo "✗ could not compile $<: see above"; exit 1; }

# After changing a text in chalicelib/: re-extract it and merge it into each .po, then translate what is new.
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=cfp -o $(LOCALE)/messages.pot chalicelib
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete

run: install translations
	@PYTHONPATH=. $(BIN)/python -m local.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck node translations
	PYTHONPATH=. $(BIN)/pytest

# The slow profiles of RELIABILITY.md: 10,000 cases per property, in process; then 1,000 schemathesis
# cases over HTTP, each valid one a review that moto's Step Functions runs (more outgrow its memory).
test-slow: install translations
	HYPOTHESIS_PROFILE=slow PYTHONPATH=. $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_bad_input.py -k "any_"
	SCHEMATHESIS_EXAMPLES=1000 PYTHONPATH=. $(BIN)/pytest -p no:cacheprovider -s tests/test_openapi.py

# 1,000 applications from 16 clients to a local run on 127.0.0.1, then the counts (RELIABILITY.md).
load: install
	PYTHONPATH=. $(BIN)/python -m bench.load --applications 1000 --clients 16

# Benchmarks, not tests: figures in bench/results/*.json and a table beside pretalx's (BENCHMARKS.md).
bench: install translations
	@PYTHONPATH=. $(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(PEERS),--peers)

# out/$(STAGE)/sam.json (Chalice's template merged with infra/resources.json) and deployment.zip.
package: install translations
	@PYTHONPATH=. $(BIN)/python -m deploy.package --stage $(STAGE) --out $(OUT)

# make deploy STAGE=dev SENDER=cfp@example.org [ORGANISERS=a@example.org,b@example.org] [PUBLIC_URL=https://…]
#             [ALARM_EMAIL=ops@example.org]
deploy: package
	@STAGE=$(STAGE) SENDER=$(SENDER) ORGANISERS=$(ORGANISERS) PUBLIC_URL=$(PUBLIC_URL) ALARM_EMAIL=$(ALARM_EMAIL) \
		bash deploy/deploy.sh $(OUT)

destroy:
	@STAGE=$(STAGE) bash deploy/destroy.sh

clean:
	rm -rf $(VENV) node_modules out .local .pytest_cache .mypy_cache .ruff_cache
