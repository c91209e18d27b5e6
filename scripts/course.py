"""The course kit, offline, from one command: Colab cells, graded student releases, the website, the slides.

    python -m scripts.course colab    # rewrite every notebook's badge and Colab cell from course/course.toml
    python -m scripts.course release  # nbgrader student copies of the graded solutions -> runs/course/nbgrader,
                                      # and of the Chinese solutions -> runs/course/nbgrader-zh
    python -m scripts.course check    # the kit checks itself: validate, --invert, autograde, a planted wrong
                                      # answer, the grades as CSV (nbgrader export:
                                      # runs/course/nbgrader-check/grades.csv)
    python -m scripts.course site     # the Jupyter Book site from the stored outputs -> runs/course/site, and
                                      # the Chinese site from the Chinese edition -> runs/course/site/zh
    python -m scripts.course slides   # reveal.js slides of the lesson notebooks -> runs/course/slides (and /zh)
    python -m scripts.course build    # release, site and slides (make course)
    python -m scripts.course lecture  # slide types, hidden figure code and speaker notes on the lesson notebooks
                                      # (--check: change nothing, exit 1 if a notebook would change)

It runs as a module from the repository root, where the kit's package (``course``) is found. What each part does
and how a teacher uses it: docs/teaching.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from course import colab, grading
from course.config import all_notebooks, load_settings

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["colab", "release", "check", "site", "slides", "build", "lecture"])
    parser.add_argument("--check", action="store_true", help="lecture: change nothing; exit 1 if a notebook would")
    args = parser.parse_args(argv)
    settings = load_settings()
    start = time.perf_counter()
    if args.part == "colab":
        changed = [p for p in all_notebooks() if colab.add_colab_cells(p, settings)]
        print(f"{len(changed)} of {len(all_notebooks())} notebooks rewritten")
    if args.part == "lecture":
        from course import lecture
        from course.config import lesson_notebooks

        changed = []
        for path in lesson_notebooks():
            did, summary, warnings = lecture.mark_up_file(path, check=args.check)
            for warning in warnings:
                print(f"{path.name}: {warning}", file=sys.stderr)
            print(f"{path.name}: {summary}{' (would change)' if did and args.check else ' (changed)' if did else ''}")
            changed += [path] if did else []
        if args.check and changed:
            return 1
    if args.part in ("release", "build"):
        for path in grading.release(settings):
            print(f"student copy: {path.relative_to(ROOT)}")
        for language, (_, course_dir, _) in grading.EDITION_COURSES.items():
            for path in grading.release(settings, course_dir, language):
                print(f"student copy ({language}): {path.relative_to(ROOT)}")
    if args.part == "check":
        problems = grading.check(settings) + [
            problem for language in grading.EDITION_COURSES for problem in grading.check_edition(settings, language)
        ]
        for problem in problems:
            print("PROBLEM:", problem, file=sys.stderr)
        if problems:
            return 1
        print("the kit checks out")
    if args.part in ("site", "build"):
        from course import site

        print(f"site: {site.build(settings).relative_to(ROOT)}/index.html")
    if args.part in ("slides", "build"):
        from course import site, slides
        from tutorial_utils.paths import lesson_notebooks

        decks = slides.build(settings)
        chinese = lesson_notebooks(ROOT / site.EDITIONS["zh_CN"])
        if chinese:  # after the English decks: building those empties the slides folder
            decks += slides.build(settings, chinese, slides.OUT / "zh", f"{site.TITLES['zh_CN']}：幻灯片")
        for path in decks:
            print(f"slides: {path.relative_to(ROOT)}")
    print(f"{args.part}: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
