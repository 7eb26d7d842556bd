# Developer entry points for the provisioning.platform collection.
#   make demo   provision an infrastructure against the bundled simulator, twice
#   make test   everything CI runs (.ci/run calls this)
#   make bench  the collection against a hand-written uri loop
# Run `make help` for the rest.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= $(shell $(ROOT)/tools/find-python.sh)
VENV ?= $(ROOT)/.venv
BIN := $(VENV)/bin
# Scratch space for staged collection copies, installed collections and simulator data dirs.
WORK ?= $(ROOT)/.tmp
# ansible-test must run from a real ansible_collections/provisioning/platform directory that is
# not inside this git checkout (it would ask git for the file list and find the copy ignored).
STAGE ?= $(or $(TMPDIR),/tmp)/provisioning-platform-stage
ANSIBLE_TEST_PYTHON ?= 3.13
ANSIBLE_TEST := $(BIN)/ansible-test
ANSIBLE_TEST_FLAGS := --python $(ANSIBLE_TEST_PYTHON) --color no
# Module code promises Python 3.9+ (tests/config.yml); the oldest target Python the machine has
# runs the compile/import sanity tests and the unit tests too.
OLDEST_TARGET_PYTHON ?= 3.9
OLDEST_TARGET_BIN := $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/$(OLDEST_TARGET_PYTHON).*/bin))

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(WORK)/collections
# Ansible's own noise (locale, deprecation banners) does not belong in test logs.
export ANSIBLE_DEPRECATION_WARNINGS := false
export ANSIBLE_NOCOLOR := 1

# $(call on_oldest_target_python,STAGE_NAME,ANSIBLE_TEST_ARGS)
define on_oldest_target_python
@if [ -z "$(OLDEST_TARGET_BIN)" ]; then \
		echo "WARNING: no Python $(OLDEST_TARGET_PYTHON) under pyenv; skipping ansible-test $(2) on it"; \
	else \
		cd $(STAGE)/$(1)/ansible_collections/provisioning/platform && \
		PATH="$(BIN):$(OLDEST_TARGET_BIN):$$PATH" $(ANSIBLE_TEST) $(2) --venv --python $(OLDEST_TARGET_PYTHON) --color no; \
	fi
endef

VENV_STAMP := $(VENV)/.installed
VENV_INPUTS := requirements.txt requirements-dev.txt simulator/pyproject.toml

.PHONY: help venv collection demo test sanity units unit-pytest simulator-test integration \
	lint docs-lint changelog-lint packaging awx-test ee-test bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(VENV_STAMP): $(VENV_INPUTS)
	@echo "== creating $(VENV) with $(PYTHON)"
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt -e './simulator[test]'
	$(BIN)/python -m pip check
	@mkdir -p $(HOME)/.ansible/test/cache
	@# ansible-test --venv downloads a get-pip bootstrap from a host build machines cannot reach.
	@for v in 23_1_2 24_2 25_2; do cp .ci/get_pip_shim.py $(HOME)/.ansible/test/cache/get_pip_$$v.py; done
	@touch $@

venv: $(VENV_STAMP) ## create the virtualenv with pinned tools, the simulator and the get-pip shim

collection: venv ## install this checkout as provisioning.platform into $(WORK)/collections
	@mkdir -p $(WORK)/collections
	$(BIN)/ansible-galaxy collection install --force --offline -p $(WORK)/collections . >/dev/null
	@echo "installed provisioning.platform into $(WORK)/collections"

demo: collection ## start the simulator, run playbooks/deploy.yml twice, print what was provisioned
	tools/demo.sh

test: venv ## everything CI runs; the last line is the unit test summary
	$(MAKE) --no-print-directory sanity lint docs-lint changelog-lint packaging simulator-test integration awx-test ee-test units

sanity: venv ## ansible-test sanity on a staged copy (no ignore entries)
	@$(BIN)/python tools/stage.py $(STAGE)/sanity >/dev/null
	cd $(STAGE)/sanity/ansible_collections/provisioning/platform && \
		$(ANSIBLE_TEST) sanity --venv $(ANSIBLE_TEST_FLAGS)
	$(call on_oldest_target_python,sanity,sanity --test compile --test import)

units: venv ## ansible-test units (pytest) on a staged copy
	@$(BIN)/python tools/stage.py $(STAGE)/units >/dev/null
	$(call on_oldest_target_python,units,units)
	cd $(STAGE)/units/ansible_collections/provisioning/platform && \
		$(ANSIBLE_TEST) units --venv $(ANSIBLE_TEST_FLAGS)

unit-pytest: venv ## the unit tests with plain pytest (fast inner loop)
	@$(BIN)/python tools/stage.py $(STAGE)/pytest >/dev/null
	cd $(STAGE)/pytest && PYTHONPATH=$(STAGE)/pytest $(BIN)/python -m pytest -q -p no:cacheprovider \
		ansible_collections/provisioning/platform/tests/unit

simulator-test: venv ## the simulator's own test suite
	cd simulator && $(BIN)/python -m pytest -q -p no:cacheprovider tests

integration: venv ## ansible-test integration: every target starts its own simulator; two groups side by side
	tools/integration.sh $(INTEGRATION_TARGETS)

lint: collection ## ansible-lint --profile production on playbooks, roles, extensions and module EXAMPLES
	$(BIN)/ansible-lint --offline --nocolor -f pep8 --profile production
	$(BIN)/python tools/lint-examples.py

docs-lint: venv ## antsibull-docs lint of the plugin documentation
	@$(BIN)/python tools/stage.py $(STAGE)/docs >/dev/null
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(STAGE)/docs/ansible_collections/provisioning/platform

changelog-lint: venv ## antsibull-changelog lint of changelogs/, and a release dry run on a staged copy
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@$(BIN)/python tools/stage.py $(STAGE)/changelog >/dev/null
	$(BIN)/python tools/changelog-check.py $(STAGE)/changelog/ansible_collections/provisioning/platform

packaging: venv ## build the Galaxy tarball, install it elsewhere, run a playbook from the installed copy
	tools/packaging-test.sh

awx-test: collection ## AWX credential type injectors + ansible-runner jobs and workflow nodes against the simulator
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/awx

ee-test: venv ## ansible-builder create on execution-environment.yml, galaxy + introspect stages replayed
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/ee

bench: collection ## the modules against a hand-written uri loop (BENCH_ARGS=--quick for a smoke run)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean: ## remove the venv, staged copies and scratch data
	rm -rf $(VENV) $(WORK) $(STAGE)
