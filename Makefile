# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

# The pinned packages, then the project itself, editable: .venv/bin/newscrawler and
# `.venv/bin/python -m newscrawler` work from any folder and run this checkout (built with the
# pinned setuptools just installed).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-build-isolation -e . -c constraints.txt
	touch $(STAMP)

# Start the bundled replica, crawl it into the embedded store, export, summarize.
demo: $(STAMP)
	$(BIN)/python -m newscrawler demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Throughput, CPU and memory figures, side by side (printed, never asserted; about 15 minutes,
# a few with BENCH_QUICK=1; BENCH_DELAY=seconds sets the latency-bound view's delay).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_workers.py
	$(BIN)/python benchmarks/bench_mongo_roundtrips.py
	$(BIN)/python benchmarks/bench_body.py
	$(BIN)/python benchmarks/bench_serve.py

clean:
	rm -rf $(VENV) data .pytest_cache
