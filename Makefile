# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
# Deploying: `make package`, `make deploy`, `make smoke`, `make restore` and `make destroy` (README, "Deploying to AWS").
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
NODE_PATCHES := $(wildcard patches/*.patch)
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json $(NODE_PATCHES) | cksum | cut -d' ' -f1)

STAGE ?= dev
OUT := out/$(STAGE)

.PHONY: install node translations messages workflow run bounce test test-fast test-slow load bench lighthouse lint typecheck package deploy smoke restore destroy revoke-overview new-call clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@echo "… installing into $(VENV) (first run takes a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "✗ could not create $(VENV): is Python 3.11 installed?"; exit 1; }
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements-dev.txt || { echo "✗ pip could not install requirements-dev.txt; see its output above"; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

# The Node tools of the checks, pinned in package-lock.json (statelint is a Ruby gem). npm ci runs package.json's
# postinstall, which applies patches/ to aws-local-stepfunctions and fails if one no longer applies (README,
# "Two interpreters"); a changed patch installs again.
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json $(NODE_PATCHES)
	@command -v npm >/dev/null || { echo "✗ npm is needed for the ASL check and the second interpreter: install Node.js"; exit 1; }
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

# After changing infra/workflow.py: write infra/review.asl.json and its picture, docs/workflow.md
# (`make test` fails while either differs from what the builder writes).
workflow: install
	@PYTHONPATH=. $(BIN)/python -m infra.workflow

run: install translations
	@PYTHONPATH=. $(BIN)/python -m local.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Two layers, by cost (tests/conftest.py says which tests are slow): the fast layer is every test that needs
# no emulator, no chalice package, no property run and no process of its own (the stores, worker and services
# on moto's mock_aws in process, the vocabulary, catalogues, wording, links...: seconds); the slow layer is
# the rest, each test once: the flows through the real state machine on the emulator, packaging, a browser...
# Prerequisites run in the order written (make without -j): the checks, then the fast layer, then the slow.
test: lint typecheck node translations test-fast
	PYTHONPATH=. $(BIN)/pytest -m slow

test-fast: install translations
	PYTHONPATH=. $(BIN)/pytest -m "not slow"

# The slow profiles of RELIABILITY.md: 10,000 cases per property, in process (the form, the JSON API, and the
# headers of built emails); then 1,000 schemathesis
# cases over HTTP, each valid one a review that moto's Step Functions runs (more outgrow its memory).
test-slow: install translations
	HYPOTHESIS_PROFILE=slow PYTHONPATH=. $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_bad_input.py -k "any_"
	HYPOTHESIS_PROFILE=slow PYTHONPATH=. $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_email_headers.py -k "every_"
	SCHEMATHESIS_EXAMPLES=1000 PYTHONPATH=. $(BIN)/pytest -p no:cacheprovider -s tests/test_openapi.py

# On a running `make run`: SES's notification that the application's email bounced (KIND=complaint: marked as spam).
bounce: install
	@PYTHONPATH=. $(BIN)/python -m local.bounce $(REF) $(if $(filter complaint,$(KIND)),--complaint)

# 1,000 applications from 16 clients to a local run on 127.0.0.1, then the counts (RELIABILITY.md).
load: install translations
	PYTHONPATH=. $(BIN)/python -m bench.load --applications 1000 --clients 16

# Benchmarks, not tests: figures in bench/results/*.json and a table beside pretalx's (BENCHMARKS.md).
bench: install translations
	@PYTHONPATH=. $(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(PEERS),--peers)

# Lighthouse's accessibility, best-practices and SEO scores of the form, the thank-you page and the error pages,
# on a local run and Debian's chromium (BENCHMARKS.md); figures in bench/results/lighthouse.json.
lighthouse: install translations node
	@PYTHONPATH=. $(BIN)/python -m bench.lighthouse

# out/$(STAGE)/sam.json (Chalice's template merged with infra/resources.json) and deployment.zip.
package: install translations
	@PYTHONPATH=. $(BIN)/python -m deploy.package --stage $(STAGE) --out $(OUT)

# make deploy STAGE=dev SENDER=cfp@example.org [ORGANISERS=a@example.org,b@example.org] [PUBLIC_URL=https://…]
#             [ALARM_EMAIL=ops@example.org]
deploy: package
	@STAGE=$(STAGE) SENDER=$(SENDER) ORGANISERS=$(ORGANISERS) PUBLIC_URL=$(PUBLIC_URL) ALARM_EMAIL=$(ALARM_EMAIL) \
		bash deploy/deploy.sh $(OUT)

# make smoke STAGE=prod, after make deploy: one application to SES's mailbox simulator through the stack (stored, its
# review started, its first email accepted), then withdrawn and deleted, nothing left. STAGE=local: a running make run.
smoke: install
	@PYTHONPATH=. $(BIN)/python -m deploy.smoke --stage $(STAGE) $(if $(URL),--url "$(URL)")

# make restore STAGE=prod AT=2026-05-30T09:00:00Z (or BACKUP=<ARN>): the table as it was then, back in the stage's own
# table (README, "Restore").
restore: install
	@test -n "$(AT)$(BACKUP)" || { echo "✗ say when: make restore STAGE=$(STAGE) AT=2026-05-30T09:00:00Z (UTC; or BACKUP=<ARN>)"; exit 1; }
	@PYTHONPATH=. $(BIN)/python -m deploy.restore --stage $(STAGE) $(if $(AT),--at "$(AT)") $(if $(BACKUP),--backup "$(BACKUP)")

# The stack, its link secret and its table (DynamoDB keeps the table's last state 35 days: README, "Tear down").
destroy:
	@STAGE=$(STAGE) bash deploy/destroy.sh

# make revoke-overview STAGE=prod ORGANISER=programme@example.org: that organiser's overview and review links
# stop working, nobody else's (README, "Emailed links"). STAGE=local: the run of `make run`.
revoke-overview: install
	@test -n "$(ORGANISER)" || { echo "✗ say whose links: make revoke-overview STAGE=$(STAGE) ORGANISER=<address>"; exit 1; }
	@PYTHONPATH=. $(BIN)/python -m deploy.revoke --stage $(STAGE) --organiser "$(ORGANISER)"

# make new-call ID=ow2con25-ospo-heroes: chalicelib/calls/<ID>.toml, every setting commented, to edit (README, "Configuration").
new-call: install
	@test -n "$(ID)" || { echo "✗ name the call: make new-call ID=<id>, e.g. ID=ow2con25-ospo-heroes (its address is /<id>/)"; exit 1; }
	@PYTHONPATH=. $(BIN)/python -m deploy.new_call --id "$(ID)"

clean:
	rm -rf $(VENV) node_modules out .local .pytest_cache .mypy_cache .ruff_cache
