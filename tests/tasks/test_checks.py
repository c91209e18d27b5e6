"""The "your turn" checks: the package's version and the worked answer pass, each common mistake is named, an
unwritten task is reported as such, and every task sits in its lesson notebook and its graded solution."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader

from tutorial_utils.tasks import TASKS, check, your_turn

ROOT = Path(__file__).resolve().parents[2]


def _cells(path: Path) -> dict[str, str]:
    return {c["id"]: "".join(c["source"]) for c in json.loads(path.read_text())["cells"]}


def _define(source: str, name: str):
    """Run a notebook cell's source and return the function it defines."""
    namespace: dict = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace[name]


# -- wrong answers, one per common mistake: each must fail, with the finding that names the mistake ----------------


def load_drops_alpha(path, size):
    rgb = Image.open(path).convert("RGB").resize((size, size))
    return torch.from_numpy(np.asarray(rgb).copy()).permute(2, 0, 1).float() / 255


def load_bytes(path, size):
    rgba = Image.open(path).convert("RGBA")
    rgb = Image.alpha_composite(Image.new("RGBA", rgba.size, (255,) * 4), rgba).convert("RGB").resize((size, size))
    return torch.from_numpy(np.asarray(rgb).copy()).permute(2, 0, 1)


def load_channels_last(path, size):
    return load_bytes(path, size).permute(1, 2, 0).float() / 255


def encoder_no_padding():
    layers, c = [], 3
    for out in (16, 32, 64, 128, 256):
        layers += [nn.Conv2d(c, out, 3), nn.ReLU(), nn.MaxPool2d(2)]
        c = out
    return nn.Sequential(*layers)


def encoder_four_blocks():
    layers, c = [], 3
    for out in (16, 32, 64, 256):
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c = out
    return nn.Sequential(*layers)


def encoder_avg_pool():
    layers, c = [], 3
    for out in (16, 32, 64, 128, 256):
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2)]
        c = out
    return nn.Sequential(*layers)


def epoch_unweighted(encoder, decoder, loader, loss_fn, optimizer):
    losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(decoder(encoder(inputs)), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def epoch_no_step(encoder, decoder, loader, loss_fn, optimizer):
    total, count = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(decoder(encoder(inputs)), targets)
        loss.backward()
        total, count = total + loss.item() * len(inputs), count + len(inputs)
    return total / count


def epoch_no_zero_grad(encoder, decoder, loader, loss_fn, optimizer):
    total, count = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(decoder(encoder(inputs)), targets)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(inputs), count + len(inputs)
    return total / count


def epoch_returns_tensor(encoder, decoder, loader, loss_fn, optimizer):
    return torch.tensor(TASKS["train_epoch"].reference(encoder, decoder, loader, loss_fn, optimizer))


def embed_shuffled(encoder, dataset, batch_size=64):
    torch.manual_seed(0)
    with torch.no_grad():
        return np.concatenate(
            [encoder(x).flatten(1).numpy() for x, _ in DataLoader(dataset, batch_size=batch_size, shuffle=True)]
        )


def embed_with_grad(encoder, dataset, batch_size=64):
    return torch.cat([encoder(x).flatten(1) for x, _ in DataLoader(dataset, batch_size=batch_size)])


def embed_pooled(encoder, dataset, batch_size=64):
    with torch.no_grad():
        return np.concatenate([encoder(x).mean((2, 3)).numpy() for x, _ in DataLoader(dataset, batch_size)])


def knn_euclidean(queries, collection, k):
    return torch.cdist(queries, collection).topk(k, largest=False).indices


def knn_farthest(queries, collection, k):
    return (F.normalize(queries, dim=1) @ F.normalize(collection, dim=1).T).topk(k, largest=False).indices


def knn_unsorted(queries, collection, k):
    return (F.normalize(queries, dim=1) @ F.normalize(collection, dim=1).T).topk(k).indices.flip(1)


def precision_all_columns(neighbours, labels, k):
    labels = np.asarray(labels)
    return float((labels[neighbours] == labels[:, None]).mean())


def precision_counts(neighbours, labels, k):
    labels = np.asarray(labels)
    return float((labels[neighbours[:, :k]] == labels[:, None]).sum(1).mean())


def triplet_unclipped(anchor, positive, negative, margin=0.2):
    return ((1 - F.cosine_similarity(anchor, positive)) - (1 - F.cosine_similarity(anchor, negative)) + margin).mean()


def triplet_euclidean(anchor, positive, negative, margin=0.2):
    return F.relu((anchor - positive).norm(dim=1) - (anchor - negative).norm(dim=1) + margin).mean()


def triplet_detached(anchor, positive, negative, margin=0.2):
    return TASKS["triplet_loss"].reference(anchor.detach(), positive, negative, margin)


def nt_xent_unmasked(z1, z2, temperature=0.2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    return F.cross_entropy(z @ z.T / temperature, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))


def nt_xent_no_temperature(z1, z2, temperature=0.2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy((z @ z.T).fill_diagonal_(float("-inf")), partner)


def raises_type_error(*args, **kwargs):
    raise TypeError("unsupported operand")


WRONG = [
    ("load_image", load_drops_alpha, "not white"),
    ("load_image", load_bytes, "floats in [0, 1]"),
    ("load_image", load_channels_last, "channels first"),
    ("make_encoder", encoder_no_padding, "with padding=1"),
    ("make_encoder", encoder_four_blocks, "expected 392,608"),
    ("make_encoder", encoder_avg_pool, "the outputs differ"),
    ("train_epoch", epoch_unweighted, "weight each batch by its size"),
    ("train_epoch", epoch_no_step, "the weights did not change"),
    ("train_epoch", epoch_no_zero_grad, "zero the gradients"),
    ("train_epoch", epoch_returns_tensor, "return a Python float"),
    ("embed_all", embed_shuffled, "row i must be item i"),
    ("embed_all", embed_with_grad, "torch.no_grad()"),
    ("embed_all", embed_pooled, "flattened"),
    ("cosine_knn", knn_euclidean, "Euclidean neighbours"),
    ("cosine_knn", knn_farthest, "your neighbours"),
    ("cosine_knn", knn_unsorted, "in another order"),
    ("precision_at_k", precision_all_columns, "only the first k"),
    ("precision_at_k", precision_counts, "divide by k"),
    ("triplet_loss", triplet_unclipped, "max(0, ·)"),
    ("triplet_loss", triplet_euclidean, "Euclidean distances"),
    ("triplet_loss", triplet_detached, "no gradient"),
    ("nt_xent", nt_xent_unmasked, "set the diagonal to −inf"),
    ("nt_xent", nt_xent_no_temperature, "divide the similarities by the temperature"),
    ("cosine_knn", raises_type_error, "raised TypeError: unsupported operand"),
]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_the_packages_version_passes(name):
    report = check(name, TASKS[name].reference)
    assert report.written, str(report)
    assert report.passed, str(report)
    assert "✗" not in str(report)


@pytest.mark.parametrize(("name", "wrong", "named"), WRONG, ids=[f"{n}-{f.__name__}" for n, f, _ in WRONG])
def test_a_wrong_answer_fails_and_the_check_names_the_mistake(name, wrong, named):
    report = check(name, wrong)
    assert report.written
    assert not report.passed
    failed = [text for ok, text in report.findings if not ok]
    assert any(named in text for text in failed), str(report)
    assert "✗" in str(report)


def test_every_task_has_a_wrong_answer_in_this_file():
    assert {name for name, _, _ in WRONG} == set(TASKS)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_the_lesson_asks_for_the_task_and_the_unwritten_stub_falls_back(name, capsys):
    cells = _cells(ROOT / "notebooks" / f"{TASKS[name].notebook}.ipynb")
    stub = _define(cells[f"task-{name}"], name)
    assert f'your_turn("{name}", {name})' in cells[f"task-{name}-check"]
    report = check(name, stub)
    assert not report.written
    assert not report.passed
    assert your_turn(name, stub) is TASKS[name].reference
    out = capsys.readouterr().out
    assert "not written yet" in out
    assert f"solutions/{TASKS[name].notebook}_solutions.ipynb" in out


@pytest.mark.parametrize("name", sorted(TASKS))
def test_the_worked_answer_in_the_solutions_passes(name, capsys):
    cells = _cells(ROOT / "notebooks" / "solutions" / f"{TASKS[name].notebook}_solutions.ipynb")
    answer = _define(cells[f"task-{name}"].replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), name)
    assert check(name, answer).passed, str(check(name, answer))
    assert your_turn(name, answer) is answer
    assert "All" in capsys.readouterr().out
    assert f'check("{name}", {name})' in cells[f"task-{name}-tests"]


def test_the_lesson_has_a_task_in_every_notebook_that_teaches_a_core_piece():
    assert len(TASKS) >= 8
    notebooks = {t.notebook[:2] for t in TASKS.values()}
    assert notebooks == {"01", "02", "03", "04", "05", "06", "07", "09"}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_running_the_check_cell_twice_does_not_pass_the_package_off_as_the_learners(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    again = your_turn(name, your_turn(name, stub))  # the check cell, run a second time without the task cell
    assert again is TASKS[name].reference
    out = capsys.readouterr().out
    assert "checks pass" not in out
    assert "run the cell that defines your function" in out
