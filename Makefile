# The whole set-up on a fresh machine: `make demo` and `make test`.
#   demo: the core package only (no torch, Ray, RLlib or OpenSpiel), then a first result
#   lint: the core and ruff only
#   ledger: the full reproduction ledger (under an hour on 2 cores), committed in ledger/, and the README's
#         results section written from it
#   test: the core and every extra the tests exercise, then the test suite; the extras are installed
#         under constraints.txt, which pins the CPU build of torch these machines carry. Elsewhere,
#         name an index that has that build: make test TORCH_INDEX=https://download.pytorch.org/whl/cpu
#         or install without the pins: make test CONSTRAINTS=/dev/null
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CORE := $(VENV)/.installed-core
FULL := $(VENV)/.installed-test
LINT := $(VENV)/.installed-lint
CONSTRAINTS ?= constraints.txt
TORCH_INDEX ?=

.PHONY: demo test bench lint ledger clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(CORE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(CORE)

$(FULL): pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[test]'
	touch $(CORE) $(LINT) $(FULL)

$(LINT): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[lint]'
	touch $(CORE) $(LINT)

demo: $(CORE)
	$(VENV)/bin/oversight-gym run pixel-debate --quick

test: $(FULL)
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: $(FULL)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

ledger: $(FULL)
	$(VENV)/bin/oversight-gym reproduce --out ledger --no-progress; status=$$?; \
	$(PY) -m oversight_gym.runner.ledger --readme README.md --ledger ledger; exit $$status

lint: $(LINT)
	$(VENV)/bin/ruff check oversight_gym tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info
