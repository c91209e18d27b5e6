"""The course kit: what a teacher needs beyond the notebooks (Colab cells, graded releases, a site, slides).

Settings are in ``course/course.toml``; ``scripts/course.py`` runs each part; ``docs/teaching.md`` explains it.
"""
