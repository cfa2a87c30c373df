# keraslab — the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv on first use and reuse it afterwards (the stamp file is rebuilt only
# when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROFILE ?= standard
OUT    ?= runs
PYTEST_ARGS ?=

.PHONY: venv install data run report test test-fast bench list clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@# Graphviz draws the architecture diagrams; optional, keraslab falls back to text summaries.
	@command -v dot >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -qq graphviz >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq graphviz >/dev/null 2>&1)) \
	  || echo "note: graphviz not installed; architecture diagrams fall back to text summaries")
	touch $(STAMP)

install: venv

data: venv
	$(VENV)/bin/keraslab data

# The main job: every experiment on the chosen profile, then plots and the report.
run: data
	$(VENV)/bin/keraslab run all --profile $(PROFILE) --out $(OUT)
	$(VENV)/bin/keraslab report --out $(OUT)

report: venv
	$(VENV)/bin/keraslab report --out $(OUT)

list: venv
	$(VENV)/bin/keraslab list

# The test suite. Exit code 5 (no tests collected) is not a failure on its own; any real
# failure is.
test: data
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

test-fast: data
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: data
	$(VENV)/bin/keraslab bench --out $(OUT)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
