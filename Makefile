# make run  - set up .venv if needed, then run the whole lesson on the shipped emoji data
# make test - set up .venv if needed, then lint, then run every test (unit tests + notebooks under nbval)
# make test-portable - the notebook tests again, with 1 thread and oneDNN limited to SSE4.1 (another "CPU")
# make test-browser - notebooks 03 and 05 in JupyterLab in headless Chromium (apt-get install chromium first)
# make course - the course kit, offline: the Chinese editions again, then graded student copies (nbgrader), the
#               website and the slides, in both languages, in runs/course/
# make test-course - the kit checks itself (nbgrader round trip), then the site and slides in headless Chromium
# make lab  - JupyterLab on notebooks/
# make test-versions - the unit tests and three notebooks on Python 3.10, 3.12 and 3.13 (one venv each, from the lock)
# make test-min-versions - the unit tests with the lowest versions that pyproject.toml allows, on Python 3.10
# make lock - requirements/lock.txt again from pyproject.toml (after a change of its dependencies)
# make translations - the Chinese editions again: catalogues in locales/ from the English, then notebooks/zh{,_TW}
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LESSON_STAMP := $(VENV)/.lesson-stamp
# the versions that made the notebooks' stored outputs, for Python 3.10-3.13: pip constraints for every install
LOCK := requirements/lock.txt

.PHONY: run test lint test-portable test-browser course test-course lab clean test-versions test-min-versions lock translations

# the lesson alone (make run): PyTorch, Jupyter, FAISS for notebook 08; everything (the other targets): the test,
# browser and course tools too
$(LESSON_STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[lesson,scale]"
	touch $(LESSON_STAMP)

$(STAMP): $(LESSON_STAMP) $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[lesson,test,scale,browser,course]"
	touch $(STAMP)

run: $(LESSON_STAMP)
	$(BIN)/python scripts/run_lesson.py

# the tests write into runs/test, so they never replace what `make run` made in runs/lesson; pytest-xdist runs
# them in four one-thread workers, a whole file (a notebook's cells) to one worker, each worker in its own run
# folder runs/test/gw0 ... (conftest.py); the same tests as plain `python -m pytest`, less tests/browser
test: $(STAMP) lint
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python -m pytest -p no:cacheprovider -n 4 --dist loadfile --ignore=tests/browser

# ruff (lint and format) over the package, scripts and tests, and pyright over the package (settings in
# pyproject.toml: strict on the core modules); make test runs it first
lint: $(STAMP)
	$(BIN)/ruff check tutorial_utils course scripts tests benchmarks conftest.py
	$(BIN)/ruff format --check tutorial_utils course scripts tests benchmarks conftest.py
	$(BIN)/pyright --pythonpath $(BIN)/python

# float results change with threads and kernels: the stored outputs must still pass (notebooks/README.md)
test-portable: $(STAMP)
	$(BIN)/python -m scripts.check_portability pytest --condition threads-1+sse41

# Debian's chromium (/usr/bin/chromium) driven by Playwright; skipped, with the reason, when it is not installed
test-browser: $(STAMP)
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python -m pytest -p no:cacheprovider tests/browser/test_explorer.py

# student copies in runs/course/nbgrader/release (Chinese: nbgrader-zh), the site in runs/course/site (Chinese:
# site/zh), slides in runs/course/slides (Chinese: slides/zh)
# (reveal.js and MathJax from npm: course/package-lock.json)
course: $(STAMP)
	$(BIN)/python -m scripts.translate
	$(BIN)/python -m scripts.course build

# release, validate, validate --invert, autograde (full points), a planted wrong answer, the grades as CSV
# (nbgrader export), feedback, and the Chinese course's releases, autograde and planted answer; then the site and
# the slides in Chromium, both languages (tests/browser/test_course_*.py build them; CJK fonts: fonts-noto-cjk)
test-course: $(STAMP)
	$(BIN)/python -m scripts.course check
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python -m pytest -p no:cacheprovider tests/browser/test_course_site.py tests/browser/test_course_slides.py tests/browser/test_course_chinese.py

# extract the English prose into locales/zh_CN (a changed cell's entry turns fuzzy), convert it to zh_TW with
# OpenCC, write notebooks/zh and notebooks/zh_TW; it stops, listing them, while an entry needs a translator
translations: $(STAMP)
	$(BIN)/python -m scripts.translate

lab: $(LESSON_STAMP)
	$(BIN)/jupyter lab notebooks/

# each Python in its own venv (.venv-py3.X) from the lock: the unit tests in two processes, then notebooks 01, 02
# and 05 under nbval; a Python that is not installed (pyenv install 3.X) is skipped, with a message.
# VERSIONS_ARGS=--remove-after (CI) removes each venv once tested: about 6 GB each
test-versions:
	$(PYTHON) scripts/check_versions.py $(VERSIONS_ARGS)

# every name>=X of pyproject.toml installed as name==X in .venv-min, on the oldest supported Python, then the unit
# tests (scripts/check_min_versions.py says which are left out there, and why)
test-min-versions:
	$(PYTHON) scripts/check_min_versions.py --python 3.10 $(VERSIONS_ARGS)

# uv's universal resolution: one file for Python 3.10-3.13 and every platform, with markers where a version differs
# by Python; the versions already in the lock are kept where they still fit, so only what pyproject.toml changed moves
# (tests/test_lock.py checks that the lock and pyproject.toml agree, and that this line made the lock)
lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile --quiet pyproject.toml --all-extras --universal --python-version 3.10 --output-file $(LOCK)

clean:
	rm -rf runs/
