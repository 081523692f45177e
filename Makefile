# The two commands a newcomer needs: `make demo` and `make test`.
# Both install what is missing first (apt packages, a virtualenv, this package).
VENV    ?= .venv
# The distribution's own Python, as on a Raspberry Pi: a newer one on PATH (pyenv) would hide
# what Debian's python3 lacks.
PYTHON  ?= /usr/bin/python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test test-fast bench install clean

$(STAMP): setup.cfg pyproject.toml scripts/install-system-deps scripts/system-packages
	scripts/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/antrean demo --workdir var/demo

# As root the suite also builds and boots the SD card image: its tools first.
test: $(STAMP)
	[ "$$(id -u)" -ne 0 ] || scripts/install-system-deps --image
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP)
	[ "$$(id -u)" -ne 0 ] || scripts/install-system-deps --image
	$(PY) -m pytest -q -m 'not slow' $(PYTEST_ARGS)

bench: $(STAMP)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
