# The two commands of the README. `make test` is also what CI runs (.ci/run).
PY ?= python3

# Debian 12+ / Raspberry Pi OS bookworm mark the system Python "externally managed" (PEP 668): pip refuses
# to install there, so on such a system the commands use a virtual environment in .venv instead.
EXTERNALLY_MANAGED := $(shell $(PY) -c "import os, sysconfig; print(int(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))))" 2>/dev/null)
ifeq ($(EXTERNALLY_MANAGED),1)
PYTHON := .venv/bin/python
else
PYTHON := $(PY)
endif

.PHONY: run test install-test system-deps python

run: python
	$(PYTHON) -m pip install . && $(PYTHON) -m cli serve --demo

# Debian's Chromium and a CJK font for the browser tests, Caddy for the LAN HTTPS test, PostgreSQL for the
# registry tests on PostgreSQL (they run initdb/postgres from /usr/lib/postgresql/*/bin in a temporary folder:
# tests/pg_support.py; the package's own cluster is not used); python3-venv where a venv is needed.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v caddy >/dev/null 2>&1 || missing="$$missing caddy"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	fc-list 2>/dev/null | grep -qi "wenquanyi micro hei" || missing="$$missing fonts-wqy-microhei"; \
	if [ "$(EXTERNALLY_MANAGED)" = 1 ] && ! $(PY) -c "import ensurepip" 2>/dev/null; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

python:
	@if [ "$(PYTHON)" = ".venv/bin/python" ] && [ ! -x .venv/bin/python ]; then $(PY) -m venv .venv; fi

install-test: system-deps python
	$(PYTHON) -m pip install -q -e ".[test,registry]"

test: install-test
	$(PYTHON) -m core.i18n_tool compile
	$(PYTHON) -m pytest
