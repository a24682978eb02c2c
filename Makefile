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
# only gets the changed pins. uv installs them (pinned too): it resolves and
# installs checkov's hundred-odd packages in seconds, where pip takes minutes.
$(VENV)/.installed: tools/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'uv==0.13.9'
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r tools/requirements.txt
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

# `make test` lints while it builds: clippy-driver compiles the workspace's
# own crates as rustc would and applies clippy's lints (-D warnings), so the
# dependencies are compiled once, not checked for clippy and then built
# again. The variables are exported, so every cargo command under `make
# test` (cargo lambda watch's build included) shares that build.
CLIPPY_DRIVER := $(shell rustc --print sysroot 2>/dev/null)/bin/clippy-driver
TEST_ENV := RUSTC_WORKSPACE_WRAPPER=$(CLIPPY_DRIVER) CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
# The `cicd` binary `make templates` runs; `make test` uses the one its test
# build made.
CICD ?= $(CARGO) run --quiet --locked -p cicd-cli --

.PHONY: test
test: export RUSTC_WORKSPACE_WRAPPER := $(CLIPPY_DRIVER)
test: export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
test: tools calculator-deps ## Every test: formatting, clippy, Rust workspace, end to end, calculator, template lint
	@test -x $(CLIPPY_DRIVER) || { echo "clippy-driver not found: rustup component add clippy" >&2; exit 2; }
	$(CARGO) fmt --all -- --check
	# Every target, benches included, built once with clippy's lints.
	$(CARGO) test --workspace --all-targets --no-run --locked
	$(CARGO) test --workspace --locked
	$(MAKE) --no-print-directory templates CICD=target/debug/cicd
	# The fake CodePipeline and the functions' binaries are the test build's;
	# cfn-validate and cfn-hook are built again as `cargo lambda watch` builds them (their own
	# features, without the tests').
	$(CARGO) build --locked --bin cfn-validate --bin cfn-hook
	$(VENV)/bin/python tests/e2e/cargo_lambda_watch.py
	$(VENV)/bin/python tests/e2e/deploy_smoke.py
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
	$(CICD) validate $(TEMPLATES)

# What the e2e runs, built before cargo lambda watch starts (it would build
# cfn-validate on the first invoke, slower than the test's patience), each
# as `cargo run --bin` builds it.
.PHONY: e2e-watch
e2e-watch: tools ## cfn-validate and cfn-hook under `cargo lambda watch`, invoked with the fixture events
	$(CARGO) build --locked --bin fake-codepipeline
	$(CARGO) build --locked --bin cfn-validate --bin cfn-hook
	$(VENV)/bin/python tests/e2e/cargo_lambda_watch.py

# --- Build, package, deploy ---------------------------------------------------

.PHONY: build
build: tools ## Release arm64 zips of every function (target/lambda/<function>/bootstrap.zip)
	rustup target add aarch64-unknown-linux-gnu >/dev/null
	$(CARGO) lambda build --release --arm64 --output-format zip --locked $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do ls -l target/lambda/$$f/bootstrap.zip; done

.PHONY: package
package: build ## dist/: each function's zip (cfn-validate.zip, service-status.zip, cfn-hook.zip) and calculator.zip, as cicd.yaml expects
	mkdir -p $(DIST)
	for f in $(FUNCTIONS); do cp target/lambda/$$f/bootstrap.zip $(DIST)/$$f.zip; done
	# The calculator as committed (the CodeCommit repository is seeded from it).
	git archive --format=zip --output=$(DIST)/calculator.zip HEAD:calculator
	ls -l $(DIST)

.PHONY: deploy
deploy: build ## cargo lambda deploy both functions (ROLE=<IAM role ARN>; region from your AWS config)
	@test -n "$(ROLE)" || { echo "make deploy ROLE=arn:aws:iam::<account>:role/<role>" >&2; exit 2; }
	for f in $(FUNCTIONS); do $(CARGO) lambda deploy $$f --iam-role "$(ROLE)"; done

# The functions' debug builds (the ones the tests ran), not the release
# zips: what this checks is `cargo lambda deploy` with each crate's deploy
# metadata, which does not depend on how the binary was compiled. `make
# build` makes the arm64 release zips; `make bench` measures them.
.PHONY: deploy-smoke
deploy-smoke: tools ## cargo lambda deploy every function's debug build to moto and check get-function
	for f in $(FUNCTIONS); do $(CARGO) build --locked --bin $$f; done
	$(VENV)/bin/python tests/e2e/deploy_smoke.py

.PHONY: stack
stack: package ## Create the pipeline stack (CODE_BUCKET=<new or your bucket>, STACK=CICD, PARAMETERS="StackHookMode=warn ...")
	@test -n "$(CODE_BUCKET)" || { echo "make stack CODE_BUCKET=<bucket for the zips> [STACK=$(STACK)] [PARAMETERS=\"Name=value ...\"]" >&2; exit 2; }
	tools/stack.sh create "$(STACK)" "$(CODE_BUCKET)" $(PARAMETERS)

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
