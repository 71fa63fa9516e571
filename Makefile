# Two commands for a newcomer:
#   make docs   build every document into output/
#   make test   lint (ruff), type-check (mypy), then run the tests
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.bench-installed
# uv installs the packages: the same releases as pip picks, in less than half the time
# (13 s against 29 s into a new .venv), which every clean checkout and CI run pays.
# Compiled as pip compiles them: where PYTHONDONTWRITEBYTECODE is set (as in CI), a
# process would otherwise compile WeasyPrint and the rest anew on every start
# (2.2 s against 0.9 s to import them), and the tests start hundreds.
UV := 'uv>=0.13,<0.14'
UV_INSTALL := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

# Pango renders text for WeasyPrint; harfbuzz-subset makes font subsetting
# fast and the PDFs byte-reproducible.
RUNTIME_PACKAGES := libpango-1.0-0:libpango-1.0.so.0 \
                    libpangoft2-1.0-0:libpangoft2-1.0.so.0 \
                    libharfbuzz-subset0:libharfbuzz-subset.so.0
# Chinese is drawn in Noto Sans CJK SC, which no font package on PyPI carries:
# Debian's fonts-noto-cjk has it, in collections `fonts` takes its one face from.
FONT_PACKAGES := fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
# The tests read the PDFs back with poppler's tools and qpdf, scan QR codes with
# zbar, and drive the staff app in Debian's Chromium (never a downloaded browser); the
# queue and shared-store tests start Debian's redis-server on loopback, and stop it.
TEST_PACKAGES := poppler-utils:pdftotext qpdf:qpdf zbar-tools:zbarimg chromium:chromium \
                 redis-server:redis-server

.PHONY: docs test bench check clean messages runtime-deps test-deps fonts

docs: $(INSTALLED) runtime-deps fonts
	$(BIN)/python make_docs.py build

test: $(INSTALLED) runtime-deps fonts test-deps
	$(BIN)/ruff check handouts tests bench scripts/same-output make_docs.py
	$(BIN)/mypy handouts
	$(BIN)/python make_docs.py check
	@$(BIN)/python -m compileall -q handouts  # for the same reason, our own code too
	$(BIN)/python -m pytest -n auto

# Measurements, not tests: see bench/RESULTS.md. Pandoc and Typst are the peers measured.
bench: $(BENCH_INSTALLED) runtime-deps fonts test-deps
	@scripts/require-system pandoc:pandoc
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_preview.py
	$(BIN)/python bench/bench_scaling.py

runtime-deps:
	@scripts/require-system $(RUNTIME_PACKAGES)

test-deps:
	@scripts/require-system $(TEST_PACKAGES)

fonts: $(INSTALLED)
	@scripts/require-system $(FONT_PACKAGES)
	@$(BIN)/python -m handouts.content.font_collections

$(INSTALLED): pyproject.toml Makefile
	@PYTHON=$(PYTHON) scripts/require-system 'python3-venv:import ensurepip'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV)
	$(UV_INSTALL) -e '.[test]'
	@touch $@

# The test tools and the benchmark's own peers (pyproject's `bench` extra).
$(BENCH_INSTALLED): $(INSTALLED) pyproject.toml
	$(UV_INSTALL) -e '.[test,bench]'
	@touch $@

# After changing a template's words: refresh the catalog of strings to
# translate, and merge it into each language's messages.po.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header -o handouts/locale/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i handouts/locale/messages.pot -d handouts/locale

clean:
	rm -rf $(VENV) output/*/ output/catalog.json
