# AutomationTools.AI: `make up` starts a working local site, `make test` runs every suite.
# Settings come from the environment; scripts/stack.py documents each one and its default.

PYTHON := .venv/bin/python

.PHONY: up down clean test test-worker test-plugin test-e2e test-deploy

up:
	scripts/install-deps.sh
	$(PYTHON) scripts/stack.py up

down:
	@if [ -x $(PYTHON) ]; then $(PYTHON) scripts/stack.py down; else echo "Nothing to stop."; fi

# Removes this checkout's demo site (database, database user, config, content directory, .run state) and nothing else.
clean:
	@if [ -x $(PYTHON) ]; then $(PYTHON) scripts/stack.py clean; else echo "Nothing to remove."; fi

test:
	scripts/install-deps.sh --test
	$(MAKE) -k test-worker test-plugin test-e2e test-deploy

test-worker:
	$(PYTHON) -m pytest -q tests/worker

test-plugin:
	$(PYTHON) tests/plugin/run.py

test-e2e:
	$(PYTHON) -m pytest -q tests/e2e

test-deploy:
	$(PYTHON) -m pytest -q tests/deploy
