"""The package's two layers: the lesson core (flat modules) and the extras (subpackages) beside it.

The core never imports an extra, nothing imports in a cycle, the package re-exports the core, each public name
means one thing, and what notebooks 01-05 show of the code stays a screen or less.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import tutorial_utils
from tests.conftest import make_folder
from tutorial_utils.checkpoints import save_checkpoint
from tutorial_utils.cli.main import main
from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import EmbeddingIndex, create_embeddings
from tutorial_utils.evaluation.tables import encoder_embeddings
from tutorial_utils.models import ConvEncoder, ModelConfig, build_models
from tutorial_utils.paths import lesson_notebooks, solution_notebooks

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tutorial_utils"
EXTRAS = ("evaluation", "scale", "selfsup", "tasks", "cli")  # the subpackages; everything flat beside them is the core
ENTRY_POINTS = ("__main__",)  # `python -m tutorial_utils`: runs the command line, imported by nobody
SHOWN_LIMIT = 45  # lines: what a notebook of the lesson core shows of the package fits on a screen


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (at the top or inside functions), read from the source."""
    name = package.name
    modules = {module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in modules.items():
        here = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                while target and target not in modules:  # "pkg.module.name" -> "pkg.module"
                    target = target.rpartition(".")[0]
                if target.startswith(name) and target != mod and target != name:
                    deps.add(target)
        graph[mod] = deps
    return graph


def layer_violations(package: Path) -> list[str]:
    """Every import of an extra by a core module, and every import cycle, as one readable line each."""
    graph = import_graph(package)
    name = package.name
    problems = []
    for mod, deps in sorted(graph.items()):
        parts = mod.split(".")
        if len(parts) != 2 or parts[1] in EXTRAS or parts[1] in ENTRY_POINTS:
            continue  # an extra, the package itself or an entry point
        for dep in sorted(deps):
            if dep.split(".")[1] in EXTRAS:
                problems.append(f"core module {mod} imports the extra {dep}")
    # a cycle: a module reachable from itself (the package itself, whose __init__ only re-exports, is left out)
    for start in graph:
        seen, stack = set(), [d for d in graph[start] if d != name]
        while stack:
            mod = stack.pop()
            if mod == start:
                problems.append(f"import cycle through {start}")
                break
            if mod not in seen:
                seen.add(mod)
                stack.extend(graph.get(mod, ()))
    return problems


def test_the_core_never_imports_an_extra_and_nothing_imports_in_a_cycle():
    assert layer_violations(PACKAGE) == []


@pytest.mark.parametrize("plant", ["core imports extra", "cycle"])
def test_the_layer_check_catches_a_planted_import(tmp_path: Path, plant: str):
    copy = tmp_path / "tutorial_utils"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if plant == "core imports extra":
        search = copy / "search.py"
        search.write_text(search.read_text() + "\n\ndef _faiss():\n    from .scale import backends\n")
        found = layer_violations(copy)
        assert "core module tutorial_utils.search imports the extra tutorial_utils.scale.backends" in found
        assert "import cycle through tutorial_utils.search" in found  # scale.backends imports search
    else:
        models = copy / "models.py"
        models.write_text("from .checkpoints import save_checkpoint\n" + models.read_text())
        assert sorted(layer_violations(copy)) == [
            "import cycle through tutorial_utils.checkpoints",
            "import cycle through tutorial_utils.models",
        ]


def _package_imports() -> dict[str, str]:
    """Name -> the module that the package's ``__init__`` imports it from (``from .data import FolderDataset``)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    return {
        alias.asname or alias.name: node.module or ""
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    }


def _imported_from_the_package() -> set[str]:
    """Every name that a notebook (lesson or solution) or a doc imports from the package itself."""
    names: set[str] = set()
    for nb in lesson_notebooks() + solution_notebooks():
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            code = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.ImportFrom) and node.module == "tutorial_utils" and not node.level:
                    names.update(alias.name for alias in node.names)
    for doc in [ROOT / "README.md", ROOT / "notebooks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for imported in re.findall(r"from tutorial_utils import (\([^)]*\)|[^\n`]*)", doc.read_text()):
            names.update(re.findall(r"[A-Za-z_]\w*", imported.split("#")[0]))
    return names


def test_the_package_re_exports_the_core_and_only_the_core():
    core = [p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_") and p.stem != "paths"] + ["paths"]
    homes = _package_imports()
    assert sorted(tutorial_utils.__all__) == sorted(homes), "__all__ lists exactly what __init__ imports"
    for name in tutorial_utils.__all__:
        obj = getattr(tutorial_utils, name)
        home = homes[name]
        assert home in core, f"{name} is exported from {home}, which is not a core module"
        assert getattr(__import__(f"tutorial_utils.{home}", fromlist=[name]), name) is obj
    with pytest.raises(AttributeError, match="no attribute 'fit_at_scale'"):
        tutorial_utils.fit_at_scale  # noqa: B018  (an extra's name is not at the top)


def test_the_package_exports_what_the_notebooks_and_docs_import_from_it():
    imported = _imported_from_the_package()
    assert {"FolderDataset", "fit", "SimilarityIndex", "show_source"} <= imported  # the scan finds the imports
    assert sorted(imported - set(tutorial_utils.__all__)) == [], "imported from tutorial_utils: export them"
    assert sorted(set(tutorial_utils.__all__) - imported) == [], "exported but imported by no notebook or doc"


def _public_definitions() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name.startswith("_"):
            continue
        for node in ast.parse(path.read_text()).body:
            overload = isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "overload" for d in node.decorator_list
            )
            if overload:
                continue  # a typed signature of the function defined after it
            found = (
                [node.name]
                if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                else [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            )
            for name in found:
                if not name.startswith("_") and name != "log":
                    names.setdefault(name, []).append(module_name(path, PACKAGE))
    return names


def test_each_public_name_is_defined_once():
    twice = {name: mods for name, mods in _public_definitions().items() if len(mods) > 1}
    assert twice == {}, "one name, one meaning: rename one of them"


def test_each_module_docstring_names_what_teaches_or_uses_it():
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__main__.py" or path.parent.name == "cli":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert re.search(r"notebooks? \d\d|every notebook", doc, re.I), f"{path.name}: which notebook?"


def _shown_in_notebooks() -> list[tuple[str, str]]:
    """(notebook, expression) of every ``show_source(...)`` in the lesson notebooks 01-09 and their solutions."""
    shown = []
    for nb in lesson_notebooks() + solution_notebooks():
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                shown += [(nb.name, expr) for expr in re.findall(r"show_source\(([\w.]+)\)", "".join(cell["source"]))]
    return shown


def _resolve(expr: str):
    """The object a notebook's ``show_source(expr)`` shows: a name of the package or of one of its extras."""
    import importlib

    head, *rest = expr.split(".")
    for module in ["tutorial_utils", *(f"tutorial_utils.{extra}" for extra in EXTRAS)]:
        obj = getattr(importlib.import_module(module), head, None)
        if obj is not None:
            break
    assert obj is not None, f"show_source({expr}): not a name of the package"
    for attr in rest:
        obj = getattr(obj, attr)
    return obj


def test_what_every_notebook_shows_fits_on_a_screen():
    shown = _shown_in_notebooks()
    assert len(shown) >= 8  # the dataset's item, to_rgb, the encoder and decoder, the steps, the search...
    for notebook, expr in shown:
        lines = len(inspect.getsource(_resolve(expr)).rstrip().splitlines())
        assert lines <= SHOWN_LIMIT, f"{notebook} shows {expr}: {lines} lines"


def test_every_caller_embeds_the_same_vectors_with_one_encoder_pass_per_image(tmp_path: Path, capsys):
    """The command line's index and evaluate, notebook 04's create_embeddings and the evaluation tables all go
    through embeddings.embed_batch: each image passes the encoder once, and the rows agree."""
    folder = tmp_path / "images"
    make_folder(folder, n=10)
    torch.manual_seed(0)
    config = ModelConfig(image_size=32)
    encoder, decoder = build_models(config)
    checkpoint = save_checkpoint(tmp_path / "best.pt", config, encoder, decoder)
    (tmp_path / "labels.csv").write_text(
        "file,base_file\n" + "".join(f"{p.name},{p.name}\n" for p in sorted(folder.iterdir()))
    )
    passes: list[tuple[int, np.ndarray]] = []

    def count(module, inputs, output):
        if isinstance(module, ConvEncoder):
            passes.append((len(inputs[0]), output.detach().flatten(1).numpy().copy()))

    def run(fn) -> tuple[list[int], np.ndarray]:
        passes.clear()
        fn()
        return [n for n, _ in passes], np.concatenate([rows for _, rows in passes])

    hook = torch.nn.modules.module.register_module_forward_hook(count)
    try:
        index_path = tmp_path / "index.json"
        cli_index = run(
            lambda: main(
                [
                    "index",
                    "--data",
                    str(folder),
                    "--checkpoint",
                    str(checkpoint),
                    "--out",
                    str(index_path),
                    "--batch-size",
                    "4",
                    "--workers",
                    "0",
                    "--quiet",
                ]
            )
        )
        cli_evaluate = run(lambda: main(["evaluate", "--index", str(index_path), "--queries", str(folder)]))
        assert "R@1 1.000" in capsys.readouterr().out
        dataset = FolderDataset(folder, image_size=32)
        lesson = run(lambda: create_embeddings(encoder, DataLoader(dataset, batch_size=4)))
        images = torch.stack([dataset[i][0] for i in range(len(dataset))])
        tables = run(lambda: encoder_embeddings(encoder, images))
    finally:
        hook.remove()
    stored = EmbeddingIndex.load(index_path).embeddings
    for name, (sizes, rows) in {
        "index": cli_index,
        "evaluate": cli_evaluate,
        "notebook 04": lesson,
        "tables": tables,
    }.items():
        assert sum(sizes) == 10, f"{name}: {sizes} images through the encoder, expected each of 10 once"
        np.testing.assert_allclose(rows, stored, atol=1e-6, err_msg=name)
    assert cli_index[0] == [4, 4, 2]
    assert lesson[0] == [4, 4, 2]


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter, where no extra has been imported (and so none has registered)."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_extras_register_their_checkpoint_kind_and_backends_and_the_core_says_what_to_import():
    code = f"""
from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.search import BACKENDS
print(sorted(BACKENDS))
try:
    load_checkpoint({str(ROOT / "data" / "pretrained" / "simclr.pt")!r})
except ValueError as err:
    print(err)
import tutorial_utils.scale, tutorial_utils.selfsup
print(sorted(BACKENDS))
print(type(load_checkpoint({str(ROOT / "data" / "pretrained" / "simclr.pt")!r})[0]).__name__)
"""
    run = _fresh_python(code)
    assert run.returncode == 0, run.stderr
    before, error, after, loaded = run.stdout.strip().splitlines()
    assert before == "['sklearn']"
    assert after == "['faiss', 'faiss-ann', 'sklearn']"
    assert "a 'selfsup' checkpoint" in error
    assert "import the module that makes them first" in error
    assert loaded == "SelfSupervisedEmbedder"
    from tutorial_utils.search import make_backend

    with pytest.raises(ValueError, match=r"the faiss backends come with: import tutorial_utils\.scale"):
        make_backend("faiss-hnsw", np.zeros((2, 2), dtype=np.float32), "cosine")
