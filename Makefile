# make run  - set up .venv if needed, then run the whole lesson on the shipped emoji data
# make test - set up .venv if needed, then lint, then run every test (unit tests + notebooks under nbval)
# make test-portable - the notebook tests again, with 1 thread and oneDNN limited to SSE4.1 (another "CPU")
# make test-browser - notebooks 03 and 05 in JupyterLab in headless Chromium (apt-get install chromium first)
# make course - the course kit, offline: graded student copies (nbgrader), the website and the slides, in runs/course/
# make test-course - the kit checks itself (nbgrader round trip), then the site and slides in headless Chromium
# make lab  - JupyterLab on notebooks/
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LESSON_STAMP := $(VENV)/.lesson-stamp

.PHONY: run test lint test-portable test-browser course test-course lab clean

# the lesson alone (make run): PyTorch, Jupyter, FAISS for notebook 08; everything (the other targets): the test,
# browser and course tools too
$(LESSON_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lesson,scale]"
	touch $(LESSON_STAMP)

$(STAMP): $(LESSON_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[lesson,test,scale,browser,course]"
	touch $(STAMP)

run: $(LESSON_STAMP)
	$(BIN)/python scripts/run_lesson.py

# the tests write into runs/test, so they never replace what `make run` made in runs/lesson;
# scripts/run_tests.py runs them as four one-thread pytest processes started at once, each in its own run folder;
# together they are what plain `python -m pytest` runs, less tests/browser (make test-browser)
test: $(STAMP) lint
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python scripts/run_tests.py

# ruff (settings in pyproject.toml) over the package, scripts and tests; make test runs it first
lint: $(STAMP)
	$(BIN)/ruff check tutorial_utils course scripts tests benchmarks conftest.py
	$(BIN)/ruff format --check tutorial_utils course scripts tests benchmarks conftest.py

# float results change with threads and kernels: the stored outputs must still pass (notebooks/README.md)
test-portable: $(STAMP)
	$(BIN)/python scripts/check_portability.py pytest --condition threads-1+sse41

# Debian's chromium (/usr/bin/chromium) driven by Playwright; skipped, with the reason, when it is not installed
test-browser: $(STAMP)
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python -m pytest -p no:cacheprovider tests/browser/test_explorer.py

# student copies in runs/course/nbgrader/release, the site in runs/course/site, slides in runs/course/slides
# (reveal.js and MathJax from npm: course/package-lock.json)
course: $(STAMP)
	$(BIN)/python scripts/course.py build

# release, validate, validate --invert, autograde (full points), a planted wrong answer, the grades as CSV
# (nbgrader export), feedback; then the site and the slides in Chromium (tests/browser/test_course_*.py build them)
test-course: $(STAMP)
	$(BIN)/python scripts/course.py check
	TUTORIAL_RUN_DIR=$(CURDIR)/runs/test $(BIN)/python -m pytest -p no:cacheprovider tests/browser/test_course_site.py tests/browser/test_course_slides.py

lab: $(LESSON_STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf runs/
