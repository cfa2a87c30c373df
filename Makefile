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
	@# System tools, where this is Debian/Ubuntu as root (CI is): Graphviz draws the architecture
	@# diagrams (optional: keraslab falls back to text summaries) and Chromium runs the report's
	@# browser test (skipped without it). Elsewhere keraslab works without them.
	@missing=""; command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	      (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $$missing >/dev/null 2>&1) || \
	      echo "note: could not install$$missing; diagrams fall back to text, the browser test is skipped"; \
	  elif [ -n "$$missing" ]; then echo "note:$$missing not installed (optional)"; fi
	touch $(STAMP)

install: venv

data: venv
	$(VENV)/bin/keraslab data

# The main job: every experiment on the chosen profile, the speedrun and the speed benchmark,
# then plots and the report. An interrupted `make run` picks up where it stopped.
run: data
	$(VENV)/bin/keraslab run all --profile $(PROFILE) --out $(OUT)
	$(VENV)/bin/keraslab run speedrun --profile $(PROFILE) --out $(OUT)
	$(VENV)/bin/keraslab bench $(if $(filter quick,$(PROFILE)),--quick,) --out $(OUT)
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
