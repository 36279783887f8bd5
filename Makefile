# The two commands of the README. `make test` is also what CI runs (.ci/run).
PY ?= python3

.PHONY: run test install-test system-deps

run:
	$(PY) -m pip install . && resale-pos serve --demo

system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi micro hei"; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei; \
	fi

install-test: system-deps
	$(PY) -m pip install -q -e ".[test]"

test: install-test
	$(PY) -m pytest
