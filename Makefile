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

.PHONY: venv install data run reference report notebooks site lab test test-all test-fast lint bench list clean

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

# The main job: every experiment on the chosen profile (each claim of the original module guide
# is judged from them) and the speedrun, then plots and the report. Everything lands in $(OUT)
# (runs/ by default, ignored by git): the run store, $(OUT)/plots/, $(OUT)/REPORT.md and
# $(OUT)/report.html. An interrupted `make run` picks up where it stopped. The speed benchmark
# judges no claim of the guide and is its own target, `make bench` (about 5 minutes more).
run: data
	$(VENV)/bin/keraslab run all --profile $(PROFILE) --out $(OUT)
	$(VENV)/bin/keraslab run speedrun --profile $(PROFILE) --out $(OUT)
	$(VENV)/bin/keraslab report --out $(OUT)

# The committed reference (reference/: its store, plots, REPORT.md, report.html) and README's
# results block, regenerated only on purpose, on the standard profile.
# The benchmark here also times every variant tried (docs/performance.md lists them).
reference: data
	$(VENV)/bin/keraslab run all --profile standard --out reference
	$(VENV)/bin/keraslab run speedrun --profile standard --out reference
	$(VENV)/bin/keraslab bench --variants --out reference
	$(VENV)/bin/keraslab report --out reference --readme README.md --docs docs/performance.md

report: venv
	$(VENV)/bin/keraslab report --out $(OUT)

# The five lessons as executed notebooks in notebooks/ (quick profile, figures embedded).
notebooks: data
	$(PY) -m keraslab.notebooks --out notebooks

# The offline site (site/, ignored): the executed lessons, the exercises, the reference report as
# pages and the docs. Open site/index.html in a browser; nothing is fetched from the network.
# `keraslab site --out runs` builds runs/site from your own run store instead.
site: venv
	$(VENV)/bin/keraslab site --out reference

# JupyterLab on the lessons (keras_*.py) and exercises (exercises/), opened as notebooks by
# Jupytext; bound to 127.0.0.1 only, with Jupyter's usual token (the URL it prints carries it).
# As root (a container, CI) Jupyter refuses to start unless told it may.
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: data
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) --no-browser --ServerApp.root_dir="$(CURDIR)" \
	  $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

list: venv
	$(VENV)/bin/keraslab list

# The everyday suite: the unit and integration tiers, on both cores (under 6 minutes).
test: data
	$(PY) -m pytest -n 2 --dist worksteal -m "not slow" $(PYTEST_ARGS)

# Everything: the everyday suite and the system tier (multi-process distribution, full MNIST, the
# benchmark's and the speedrun's smoke runs). CI runs this.
test-all: data
	$(PY) -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# The unit tier: no training, no subprocess; under a minute. Lint first.
test-fast: data lint
	$(PY) -m pytest -m "not integration and not slow" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check src tests *.py
	$(VENV)/bin/ruff format --check src tests *.py

# The speed benchmark (keraslab's path vs the strongest native PyTorch), into the same store;
# the report's PERFORMANCE.md shows it once it is there.
bench: data
	$(VENV)/bin/keraslab bench $(if $(filter quick,$(PROFILE)),--quick,) --out $(OUT)
	$(VENV)/bin/keraslab report --out $(OUT)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
