"""scripts/run_tests.py deals the test run out to four processes without losing or repeating a notebook."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from .conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_the_groups_cover_every_notebook_once_and_keep_the_lesson_order():
    script = load_script("run_tests")
    groups = script.groups()
    notebooks = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb"))
    tests = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py") if "browser" not in p.parts
    )
    together = [p for paths in groups.values() for p in paths]
    assert len(groups) == script.GROUPS
    assert all(groups.values())
    assert sorted(together) == sorted(tests + notebooks)
    assert len(together) == len(set(together))
    assert not any("browser" in p for p in together)  # `make test-browser`
    order = [*tests, *(p for p in notebooks if "solutions/" not in p), *(p for p in notebooks if "solutions/" in p)]
    assert all(paths == sorted(paths, key=order.index) for paths in groups.values())
    # balanced: no two groups differ by more than the longest single path
    load = [sum(script.expected(p) for p in paths) for paths in groups.values()]
    assert max(load) - min(load) <= max(script.EXPECTED_SECONDS.values())


class _FakeProcess:
    """Finishes after a few polls; records what it was started with."""

    started: ClassVar[list[dict]] = []

    def __init__(self, cmd, cwd, env, stdout, stderr):
        stdout.write("1 passed in 0.01s\n")
        self.polls, self.returncode = 0, None
        _FakeProcess.started.append(
            {
                "cmd": cmd,
                "run_dir": env["TUTORIAL_RUN_DIR"],
                "threads": env["OMP_NUM_THREADS"],
                "finished_before": self._finished(),
            }
        )

    @staticmethod
    def _finished() -> int:
        return sum(p.returncode is not None for p in _RUNNING)

    def poll(self):
        self.polls += 1
        if self.polls > 2:
            self.returncode = 0
        return self.returncode


_RUNNING: list[_FakeProcess] = []


def test_every_group_starts_at_once_in_its_own_run_folder(tmp_path: Path, monkeypatch, capsys):
    script = load_script("run_tests")
    _FakeProcess.started = []
    _RUNNING.clear()

    def popen(*args, **kwargs):
        proc = _FakeProcess(*args, **kwargs)
        _RUNNING.append(proc)
        return proc

    monkeypatch.setattr(script.subprocess, "Popen", popen)
    monkeypatch.setattr(script.time, "sleep", lambda s: None)
    monkeypatch.setenv("TUTORIAL_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert script.main([]) == 0
    started = _FakeProcess.started
    assert len(started) == script.GROUPS
    assert all(s["finished_before"] == 0 for s in started)
    assert sorted(s["run_dir"] for s in started) == sorted(str(tmp_path / name) for name in script.groups())
    assert {s["threads"] for s in started} == {"1"}
    assert "all tests: passed" in capsys.readouterr().out
