"""scripts/run_lesson.py (make run): quiet when all goes well, loud when a notebook fails."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from .conftest import load_script


def _run_lesson():
    return load_script("run_lesson")


def _notebook(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def test_a_good_notebook_runs_and_the_kernel_chatter_goes_to_the_log(tmp_path, capfd):
    nb, run = _run_lesson().execute(_notebook(tmp_path, "print(6 * 7)"), tmp_path / "demo.kernel.log")
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert run.seconds > 0
    captured = capfd.readouterr()  # file-descriptor level: what the kernel process itself would print
    terminal = captured.out + captured.err
    log = (tmp_path / "demo.kernel.log").read_text()
    # ipykernel's start-up chatter (a TCP warning, a debugger warning: it depends on the version) is in the log only
    assert "Kernel is running over TCP" not in terminal
    assert "Debugger warning" not in terminal
    assert all(line not in terminal for line in log.splitlines() if line.strip())


def test_a_failing_cell_stops_the_run_with_its_error(tmp_path, capsys):
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _run_lesson().execute(_notebook(tmp_path, "1 / 0"), tmp_path / "demo.kernel.log")
    assert "demo.ipynb: a cell raised an error" in capsys.readouterr().err


def test_the_longest_recorded_notebook_runs_first_and_a_stored_run_records_its_seconds(tmp_path, capsys):
    script = _run_lesson()
    short, long_ = tmp_path / "short.ipynb", tmp_path / "long.ipynb"
    for path, seconds in ((short, 3), (long_, 30)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time; time.sleep(0.2)")])
        nb.metadata["tutorial"] = {"seconds": seconds}
        nbformat.write(nb, path)
    out = tmp_path / "out"
    out.mkdir()
    script.ROOT = tmp_path  # the paths are printed relative to it
    runs = script.execute_all([short, long_], out, jobs=1, update_stored=True)
    started = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("running")]
    assert started == ["long.ipynb", "short.ipynb"]
    for path in (short, long_):
        assert runs[path].seconds >= 0.2
        assert script.recorded_seconds(path) == round(runs[path].seconds)  # measured now, replacing 3 and 30


def test_the_slowest_cells_are_listed_with_their_seconds_and_the_stored_notebook_keeps_no_timestamps(tmp_path):
    script = _run_lesson()
    path = tmp_path / "demo.ipynb"
    cells = [nbformat.v4.new_code_cell(f"import time\ntime.sleep({s})") for s in (0.05, 0.6, 0.3)]
    for i, cell in enumerate(cells):
        cell["id"] = f"nap-{i}"
    nbformat.write(nbformat.v4.new_notebook(cells=[*cells, nbformat.v4.new_markdown_cell("text")]), path)
    nb, run = script.execute(path, tmp_path / "demo.kernel.log")
    assert [c.cell_id for c in sorted(run.cells, key=lambda c: -c.seconds)] == ["nap-1", "nap-2", "nap-0"]
    naps = {c.cell_id: c.seconds for c in run.cells}
    assert 0.6 <= naps["nap-1"] < 0.6 + 2
    assert 0.3 <= naps["nap-2"] < naps["nap-1"]
    assert 0 < run.outside_cells < run.seconds  # the kernel's start-up
    assert all("execution" not in cell.metadata for cell in nb.cells)
    report = script.where_the_seconds_go({path: run}, slowest=2).splitlines()
    assert report[1] == f"the 2 slowest cells, of {run.seconds:.0f} s of notebooks in all:"
    assert "demo.ipynb nap-1: import time" in report[2]
    assert "demo.ipynb nap-2" in report[3]
    assert report[-1] == f"outside the cells (kernels starting and stopping, 1 notebook): {run.outside_cells:.0f} s"
