# The project's commands. `make test` is what CI runs; `make demo` shows the
# pipeline's two custom stages working on one machine.
#
# Everything this needs beyond Rust, Python 3.11 and Node 20 is installed
# here, pinned: Python tools into .venv (tools/requirements.txt), the
# calculator's packages into calculator/node_modules.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)

CARGO ?= cargo
PYTHON ?= python3

# The Lambda functions: the workspace packages with Lambda deploy metadata
# (tools/functions.py, the one list); and where their zips and the calculator's go.
FUNCTIONS = $(or $(shell $(PYTHON) tools/functions.py),$(error tools/functions.py found no Lambda functions))
# Our own CloudFormation templates, which `make templates` checks.
TEMPLATES := cicd.yaml calculator/cloudformation/application.json
DIST := dist
STACK ?= CICD

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# --- Tools -------------------------------------------------------------------

# An existing .venv (a worktree's may be a symlink, which `venv` refuses)
# only gets the changed pins.
$(VENV)/.installed: tools/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

.PHONY: tools
tools: $(VENV)/.installed ## Install the pinned Python tools (moto, cfn-lint, checkov, cargo-lambda, zig) into .venv

calculator/node_modules/.installed: calculator/package-lock.json
	cd calculator && npm ci --no-audit --no-fund
	touch $@

.PHONY: calculator-deps
calculator-deps: $(if $(wildcard calculator/package-lock.json),calculator/node_modules/.installed)

# --- Checks ------------------------------------------------------------------

.PHONY: lint
lint: ## Formatting and clippy
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: test
test: tools calculator-deps lint ## Every test: Rust workspace, end to end, calculator, template lint
	$(CARGO) test --workspace --locked
	$(MAKE) --no-print-directory templates
	$(MAKE) --no-print-directory e2e-watch
	$(MAKE) --no-print-directory deploy-smoke
ifneq ($(wildcard calculator/package.json),)
	cd calculator && npm test
endif

.PHONY: templates
templates: tools ## cfn-lint, checkov and structural checks on both templates; cicd validate must pass them
	$(VENV)/bin/cfn-lint $(TEMPLATES)
	# Any failed check fails; deliberate choices are skipped, with their
	# reasons, in the resources' Metadata. Offline: nothing is downloaded.
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation $(addprefix -f ,$(TEMPLATES))
	$(VENV)/bin/python tools/test_templates.py
	$(CARGO) run --quiet --locked -p cicd-cli -- validate $(TEMPLATES)

.PHONY: e2e-watch
e2e-watch: tools ## cfn-validate under `cargo lambda watch`, invoked with the fixture events
	$(CARGO) build --workspace --bins --locked
	$(VENV)/bin/python tests/e2e/cargo_lambda_watch.py

# --- Build, package, deploy ---------------------------------------------------

.PHONY: build
build: tools ## Release arm64 zips of both functions (target/lambda/<function>/bootstrap.zip)
	rustup target add aarch64-unknown-linux-gnu >/dev/null
	$(CARGO) lambda build --release --arm64 --output-format zip --locked $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do ls -l target/lambda/$$f/bootstrap.zip; done

.PHONY: package
package: build ## dist/: cfn-validate.zip, service-status.zip and calculator.zip, as cicd.yaml expects
	mkdir -p $(DIST)
	for f in $(FUNCTIONS); do cp target/lambda/$$f/bootstrap.zip $(DIST)/$$f.zip; done
	# The calculator as committed (the CodeCommit repository is seeded from it).
	git archive --format=zip --output=$(DIST)/calculator.zip HEAD:calculator
	ls -l $(DIST)

.PHONY: deploy
deploy: build ## cargo lambda deploy both functions (ROLE=<IAM role ARN>; region from your AWS config)
	@test -n "$(ROLE)" || { echo "make deploy ROLE=arn:aws:iam::<account>:role/<role>" >&2; exit 2; }
	for f in $(FUNCTIONS); do $(CARGO) lambda deploy $$f --iam-role "$(ROLE)"; done

.PHONY: deploy-smoke
deploy-smoke: build ## cargo lambda deploy both functions against moto and check get-function
	$(VENV)/bin/python tests/e2e/deploy_smoke.py

.PHONY: stack
stack: package ## Create the pipeline stack (CODE_BUCKET=<new or your bucket>, STACK=CICD)
	@test -n "$(CODE_BUCKET)" || { echo "make stack CODE_BUCKET=<bucket for the zips> [STACK=$(STACK)]" >&2; exit 2; }
	tools/stack.sh create "$(STACK)" "$(CODE_BUCKET)"

.PHONY: teardown
teardown: ## Remove the stage stacks, empty the buckets, remove the pipeline stack (STACK=CICD)
	tools/stack.sh teardown "$(STACK)"

.PHONY: bench
bench: tools calculator-deps ## Zip sizes, init time, peak memory, the CLI's speed, the rule engine's benchmarks (cargo xtask bench)
	$(CARGO) xtask bench

.PHONY: demo
demo: tools calculator-deps ## The two custom stages on one machine: real functions, local AWS stand-ins (cargo xtask demo)
	$(CARGO) xtask demo

.PHONY: clean
clean: ## Remove build output (keeps .venv)
	$(CARGO) clean
	rm -rf $(DIST)
