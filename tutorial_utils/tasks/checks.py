"""Checks of the "your turn" tasks of notebooks 01-07 and 09: the learner's function against the package's.

Each check returns a list of findings ``(ok, sentence)``. A sentence says what matched or what differs, in the
learner's terms, and where a common mistake explains the difference, it names it.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..data import image_to_tensor
from ..embeddings import EmbeddingIndex, create_embeddings, module_device
from ..i18n import _
from ..models import ConvDecoder, ConvEncoder, count_parameters
from ..paths import DEFAULT_DATA
from ..search import SimilarityIndex
from ..training import train_step

Finding = tuple[bool, str]


@dataclass
class Task:
    """One task: the notebook that asks for it, the package's version and the check."""

    name: str
    notebook: str
    package_name: str
    reference: Callable[..., Any]
    check: Callable[[Callable[..., Any]], list[Finding]]


@dataclass
class TaskReport:
    """What :func:`check` found: was the task written, did every finding pass, and the findings."""

    name: str
    written: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.written and bool(self.findings) and all(ok for ok, _text in self.findings)

    def __str__(self) -> str:
        if not self.written:
            return _("Your turn · {name}: not written yet (it still raises NotImplementedError).").format(
                name=self.name
            )
        header = _("Your turn · {name}").format(name=self.name)
        lines = [header] + [f"  {'✓' if ok else '✗'} {text}" for ok, text in self.findings]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# 01 · an image file -> the tensor the model sees

LOAD_FILES = ("1f600.png", "1f374.png", "1f311.png")  # RGBA, grey + alpha, palette with a transparent colour


def reference_load_image(path, size: int) -> torch.Tensor:
    """The package's way: onto white, padded to a square, resized, (3, size, size) floats in [0, 1]."""
    return image_to_tensor(path, size)


def check_load_image(load_image: Callable[..., Any]) -> list[Finding]:
    findings: list[Finding] = []
    for name in LOAD_FILES:
        path, expected = DEFAULT_DATA / name, reference_load_image(DEFAULT_DATA / name, 32)
        got = load_image(path, 32)
        if not isinstance(got, torch.Tensor):
            text = _("{name}: returns a {type}, not a torch.Tensor").format(name=name, type=type(got).__name__)
            return [*findings, (False, text)]
        if tuple(got.shape) != (3, 32, 32):
            text = _("{name}: shape {shape}, expected (3, 32, 32) (channels first)").format(
                name=name, shape=tuple(got.shape)
            )
            return [*findings, (False, text)]
        if not got.is_floating_point() or got.min() < 0 or got.max() > 1:
            return [
                *findings,
                (
                    False,
                    _(
                        "{name}: values must be floats in [0, 1] (divide the bytes by 255), got "
                        "{dtype} in [{low:.1f}, {high:.1f}]"
                    ).format(name=name, dtype=got.dtype, low=float(got.min()), high=float(got.max())),
                ),
            ]
        corner = tuple(round(float(v), 2) for v in got[:, 0, 0])
        if min(corner) < 0.99:
            return [
                *findings,
                (
                    False,
                    _(
                        "{name}: the transparent corner is {corner}, not white (1, 1, 1): "
                        "composite onto white instead of dropping the alpha channel"
                    ).format(name=name, corner=corner),
                ),
            ]
        gap = float((got.float() - expected).abs().mean())
        if gap > 0.03:
            return [
                *findings,
                (
                    False,
                    _(
                        "{name}: far from the package's picture (mean difference {gap:.3f}; "
                        "a different resampling filter alone stays below 0.03)"
                    ).format(name=name, gap=gap),
                ),
            ]
        findings.append(
            (
                True,
                _(
                    "{name} ({mode}): (3, 32, 32) floats, white background, "
                    "mean difference {gap:.3f} from the package's"
                ).format(name=name, mode=_mode(path), gap=gap),
            )
        )
    return findings


def _mode(path) -> str:
    from PIL import Image

    with Image.open(path) as img:
        return img.mode


# ---------------------------------------------------------------------------------------------------------------
# 02 · the encoder, layer by layer


def reference_make_encoder() -> nn.Module:
    return ConvEncoder()


def check_make_encoder(make_encoder: Callable[[], nn.Module]) -> list[Finding]:
    torch.manual_seed(0)
    model, reference = make_encoder(), reference_make_encoder()
    if not isinstance(model, nn.Module):
        return [(False, _("returns a {type}, not an nn.Module").format(type=type(model).__name__))]
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            out = model(x)
    except RuntimeError as error:
        return [
            (
                False,
                _(
                    "a batch (2, 3, 64, 64) fails in your model ({error}): with "
                    "padding=1 a 3×3 convolution keeps the size, and only the max-pools halve it"
                ).format(error=str(error).splitlines()[0]),
            )
        ]
    findings: list[Finding] = []
    shape_ok = tuple(out.shape) == (2, 256, 2, 2)
    findings.append(
        (
            shape_ok,
            _("a batch (2, 3, 64, 64) gives {shape}").format(shape=tuple(out.shape))
            if shape_ok
            else _(
                "a batch (2, 3, 64, 64) gives {shape}, expected (2, 256, 2, 2): five halvings, 256 channels at the end"
            ).format(shape=tuple(out.shape)),
        )
    )
    n, expected_n = count_parameters(model), count_parameters(reference)
    findings.append(
        (
            n == expected_n,
            _("{n:,} parameters").format(n=n)
            if n == expected_n
            else _(
                "{n:,} parameters, expected {expected:,}: five 3×3 convolutions 3→16→32→64→128→256, each with a bias"
            ).format(n=n, expected=expected_n),
        )
    )
    convs, ref_convs = _convs(model), _convs(reference)
    if len(convs) == len(ref_convs) and all(
        a.weight.shape == b.weight.shape for a, b in zip(convs, ref_convs, strict=True)
    ):
        for mine, theirs in zip(convs, ref_convs, strict=True):
            mine.load_state_dict(theirs.state_dict())
        with torch.no_grad():
            gap = float((model(x) - reference(x)).abs().max())
        same = gap < 1e-5
        findings.append(
            (
                same,
                _("with the package's weights copied in, the outputs are the same")
                if same
                else _(
                    "with the package's weights copied in, the outputs differ (by up to {gap:.3g}): check "
                    "padding=1, a ReLU and a max-pool of 2 after each convolution"
                ).format(gap=gap),
            )
        )
    return findings


def _convs(model: nn.Module) -> list[nn.Conv2d]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


# ---------------------------------------------------------------------------------------------------------------
# 03 · one epoch of training, its mean loss


def reference_train_epoch(
    encoder: nn.Module, decoder: nn.Module, loader: DataLoader, loss_fn: nn.Module, optimizer: torch.optim.Optimizer
) -> float:
    return train_step(encoder, decoder, loader, loss_fn, optimizer, module_device(encoder))


def _tiny_training(seed: int = 0) -> tuple[nn.Module, nn.Module, DataLoader, torch.optim.Optimizer]:
    """A two-block autoencoder, 10 images of 8×8 in batches of 4, 4 and 2, plain SGD."""
    torch.manual_seed(seed)
    encoder, decoder = ConvEncoder((4, 8)), ConvDecoder((4, 8))
    images = torch.rand(10, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
    loader = DataLoader(TensorDataset(images, images), batch_size=4, shuffle=False)
    optimizer = torch.optim.SGD([*encoder.parameters(), *decoder.parameters()], lr=0.5)
    return encoder, decoder, loader, optimizer


def check_train_epoch(train_epoch: Callable[..., Any]) -> list[Finding]:
    enc, dec, loader, _optimizer = _tiny_training()
    mine_enc, mine_dec = copy.deepcopy(enc), copy.deepcopy(dec)
    ref_enc, ref_dec = copy.deepcopy(enc), copy.deepcopy(dec)
    before = [p.detach().clone() for p in (*enc.parameters(), *dec.parameters())]
    batch_means = _batch_losses(copy.deepcopy(enc), copy.deepcopy(dec), loader)
    expected = reference_train_epoch(
        ref_enc, ref_dec, loader, nn.MSELoss(), torch.optim.SGD([*ref_enc.parameters(), *ref_dec.parameters()], lr=0.5)
    )
    got = train_epoch(
        mine_enc,
        mine_dec,
        loader,
        nn.MSELoss(),
        torch.optim.SGD([*mine_enc.parameters(), *mine_dec.parameters()], lr=0.5),
    )
    findings: list[Finding] = []
    if isinstance(got, torch.Tensor) or not isinstance(got, numbers.Real):
        text = _("returns a {type}: return a Python float (loss.item() per batch)").format(type=type(got).__name__)
        findings.append((False, text))
    else:
        got = float(got)
        unweighted = float(np.mean([loss for loss, _size in batch_means]))
        if abs(got - expected) <= 1e-4 * abs(expected):
            findings.append((True, _("the epoch's mean loss is {loss:.5f}, as the package's").format(loss=got)))
        elif abs(got - unweighted) <= 1e-4 * abs(unweighted):
            findings.append(
                (
                    False,
                    _(
                        "{loss:.5f} is the mean of the three batch losses; the last batch holds 2 images, "
                        "not 4: weight each batch by its size (expected {expected:.5f})"
                    ).format(loss=got, expected=expected),
                )
            )
        else:
            text = _("mean loss {loss:.5f}, expected {expected:.5f}").format(loss=got, expected=expected)
            findings.append((False, text))
    after = [p.detach() for p in (*mine_enc.parameters(), *mine_dec.parameters())]
    target = [p.detach() for p in (*ref_enc.parameters(), *ref_dec.parameters())]
    if all(torch.equal(a, b) for a, b in zip(after, before, strict=True)):
        findings.append((False, _("the weights did not change: call loss.backward() and optimizer.step() per batch")))
    else:
        gap = max(float((a - b).abs().max()) for a, b in zip(after, target, strict=True))
        findings.append(
            (
                gap < 1e-4,
                _("after the epoch the weights are the package's")
                if gap < 1e-4
                else _(
                    "after the epoch the weights differ from the package's (by up to {gap:.3g}): zero the "
                    "gradients before each backward pass, one optimizer.step() per batch"
                ).format(gap=gap),
            )
        )
    return findings


def _batch_losses(encoder: nn.Module, decoder: nn.Module, loader: DataLoader) -> list[tuple[float, int]]:
    """The loss of each batch along the reference epoch (to recognise an unweighted mean)."""
    optimizer = torch.optim.SGD([*encoder.parameters(), *decoder.parameters()], lr=0.5)
    losses = []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = F.mse_loss(decoder(encoder(inputs)), targets)
        loss.backward()
        optimizer.step()
        losses.append((loss.item(), len(inputs)))
    return losses


# ---------------------------------------------------------------------------------------------------------------
# 04 · embeddings: row i = item i


def reference_embed_all(encoder: nn.Module, dataset, batch_size: int) -> np.ndarray:
    return create_embeddings(encoder, DataLoader(dataset, batch_size=batch_size, shuffle=False))


def check_embed_all(embed_all: Callable[..., Any]) -> list[Finding]:
    torch.manual_seed(0)
    encoder = ConvEncoder((4, 8))
    images = torch.rand(10, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    dataset = TensorDataset(images, images)
    expected = reference_embed_all(copy.deepcopy(encoder), dataset, 4)
    got = embed_all(copy.deepcopy(encoder), dataset, 4)
    if isinstance(got, torch.Tensor):
        if got.requires_grad:
            return [(False, _("returns a tensor that still tracks gradients: embed under torch.no_grad()"))]
        got = got.cpu().numpy()
    got = np.asarray(got)
    if got.shape != expected.shape:
        return [
            (
                False,
                _(
                    "shape {shape}, expected {expected}: one row per image, "
                    "the feature map flattened (C × H × W values)"
                ).format(shape=got.shape, expected=expected.shape),
            )
        ]
    findings: list[Finding] = [
        (True, _("shape {shape}: one row per image, {d} values each").format(shape=got.shape, d=expected.shape[1]))
    ]
    if np.allclose(got, expected, atol=1e-5):
        findings.append((True, _("row i is the embedding of item i, for all 10 items")))
        return findings
    matches = [int(np.argmin(np.abs(expected - row).max(axis=1))) for row in got]
    if sorted(matches) == list(range(len(expected))):
        wrong = [i for i, j in enumerate(matches) if i != j]
        findings.append(
            (
                False,
                _(
                    "rows {rows} hold other items' embeddings: row i must be item i (a DataLoader with shuffle=False)"
                ).format(rows=wrong),
            )
        )
    else:
        findings.append((False, _("the rows are not the package's embeddings: encoder(images).flatten(1) per batch")))
    return findings


# ---------------------------------------------------------------------------------------------------------------
# 05 · cosine k-nearest neighbours in a few lines of torch


def reference_cosine_knn(queries: torch.Tensor, collection: torch.Tensor, k: int) -> torch.Tensor:
    index = SimilarityIndex(EmbeddingIndex.from_vectors(collection.numpy()), metric="cosine")
    return torch.tensor([result.indices for result in index.search_vectors(queries.numpy(), k=k)])


def knn_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """4 queries and 40 vectors of 6 values, with lengths from 0.2 to 5, so that length matters to Euclidean."""
    g = torch.Generator().manual_seed(0)
    collection = torch.randn(40, 6, generator=g) * torch.empty(40, 1).uniform_(0.2, 5.0, generator=g)
    return torch.randn(4, 6, generator=g), collection


def check_cosine_knn(cosine_knn: Callable[..., Any]) -> list[Finding]:
    queries, collection = knn_inputs()
    expected = reference_cosine_knn(queries, collection, 3)
    got = cosine_knn(queries.clone(), collection.clone(), 3)
    got = torch.as_tensor(got)
    if tuple(got.shape) != (4, 3):
        text = _("shape {shape}, expected (4, 3): k row numbers for each of the 4 queries").format(
            shape=tuple(got.shape)
        )
        return [(False, text)]
    findings: list[Finding] = [(True, _("shape (4, 3): 3 row numbers for each of the 4 queries"))]
    wrong = [q for q in range(4) if got[q].tolist() != expected[q].tolist()]
    if not wrong:
        findings.append((True, _("the same neighbours as the package's, nearest first, for all 4 queries")))
        return findings
    q = wrong[0]
    values = {"query": q, "yours": got[q].tolist(), "expected": expected[q].tolist()}
    euclidean = torch.cdist(queries, collection).topk(3, largest=False).indices
    # a hint is part of a whole-sentence template, not appended to one: i18n.translate_printed tries the longest first
    if torch.equal(got, euclidean):
        template = _(
            "query {query}: your neighbours {yours}, the package's {expected} "
            "(yours are the Euclidean neighbours: divide each vector by its length first)"
        )
    elif sorted(got[q].tolist()) == sorted(expected[q].tolist()):
        template = _(
            "query {query}: your neighbours {yours}, the package's {expected} "
            "(the same rows in another order: the nearest, largest similarity, first)"
        )
    else:
        template = _("query {query}: your neighbours {yours}, the package's {expected}")
    findings.append((False, template.format(**values)))
    return findings


# ---------------------------------------------------------------------------------------------------------------
# 06 · precision@k from neighbour lists

PRECISION_LABELS = ["cat", "cat", "dog", "dog", "dog", "fish"]
PRECISION_NEIGHBOURS = np.array([[1, 2, 3, 4], [2, 0, 5, 3], [3, 0, 4, 1], [0, 1, 2, 5], [2, 3, 0, 1], [0, 2, 1, 3]])


def reference_precision_at_k(neighbours: np.ndarray, labels, k: int) -> float:
    from ..evaluation.metrics import precision_at_k, relevance

    return precision_at_k(relevance(np.asarray(neighbours), labels), k)


def check_precision_at_k(precision_at_k: Callable[..., Any]) -> list[Finding]:
    findings: list[Finding] = []
    all_columns = reference_precision_at_k(PRECISION_NEIGHBOURS, PRECISION_LABELS, 4)
    for k in (1, 2):
        expected = reference_precision_at_k(PRECISION_NEIGHBOURS, PRECISION_LABELS, k)
        got = precision_at_k(PRECISION_NEIGHBOURS.copy(), list(PRECISION_LABELS), k)
        try:
            value = float(got)
        except (TypeError, ValueError):
            return [*findings, (False, _("k={k}: returns a {type}, not a number").format(k=k, type=type(got).__name__))]
        if abs(value - expected) < 1e-9:
            findings.append((True, _("k={k}: {value:.4f}, as the package's").format(k=k, value=value)))
            continue
        if abs(value - all_columns) < 1e-9:
            template = _(
                "k={k}: {value:.4f}, expected {expected:.4f} "
                "(that is the precision over all 4 columns: only the first k neighbours count)"
            )
        elif abs(value - expected * k) < 1e-9:
            template = _(
                "k={k}: {value:.4f}, expected {expected:.4f} (that is the number of right neighbours: divide by k)"
            )
        else:
            template = _("k={k}: {value:.4f}, expected {expected:.4f}")
        findings.append((False, template.format(k=k, value=value, expected=expected)))
    return findings


# ---------------------------------------------------------------------------------------------------------------
# 07 · the triplet loss


def reference_triplet_loss(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 0.2
) -> torch.Tensor:
    from ..evaluation.ranking import triplet_margin_loss

    return triplet_margin_loss(anchor, positive, negative, margin)


def triplet_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """8 triplets of 5-value embeddings of different lengths; some already meet the margin, some do not."""
    g = torch.Generator().manual_seed(0)
    anchor = torch.randn(8, 5, generator=g)
    positive = anchor + 0.8 * torch.randn(8, 5, generator=g)
    negative = torch.randn(8, 5, generator=g) * 3
    return anchor, positive, negative


def check_triplet_loss(triplet_loss: Callable[..., Any]) -> list[Finding]:
    anchor, positive, negative = triplet_inputs()
    expected = reference_triplet_loss(anchor, positive, negative, 0.2)
    a = anchor.clone().requires_grad_(True)
    got = triplet_loss(a, positive.clone(), negative.clone(), 0.2)
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        return [(False, _("returns no single-number tensor: the mean over the triplets"))]
    findings: list[Finding] = []
    value = float(got.detach())
    if abs(value - float(expected)) < 1e-5:
        findings.append((True, _("loss {value:.5f}, as the package's").format(value=value)))
    else:
        za, zp, zn = (F.normalize(t, dim=1) for t in (anchor, positive, negative))
        unclipped = float(((1 - (za * zp).sum(1)) - (1 - (za * zn).sum(1)) + 0.2).mean())
        euclid = float(F.relu((anchor - positive).norm(dim=1) - (anchor - negative).norm(dim=1) + 0.2).mean())
        if abs(value - unclipped) < 1e-5:
            template = _(
                "loss {value:.5f}, expected {expected:.5f} "
                "(no triplet may count below zero: max(0, ·) per triplet, then the mean)"
            )
        elif abs(value - euclid) < 1e-5:
            template = _(
                "loss {value:.5f}, expected {expected:.5f} "
                "(that is with Euclidean distances: use the cosine distance 1 − cos)"
            )
        else:
            template = _("loss {value:.5f}, expected {expected:.5f}")
        findings.append((False, template.format(value=value, expected=float(expected))))
    if got.requires_grad:
        got.backward()
        findings.append((a.grad is not None and bool(a.grad.abs().sum() > 0), _("gradients reach the anchors")))
    else:
        findings.append((False, _("the loss has no gradient: compute it with torch operations on the inputs")))
    return findings


# ---------------------------------------------------------------------------------------------------------------
# 09 · NT-Xent


def reference_nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    from ..selfsup.contrastive import nt_xent

    return nt_xent(z1, z2, temperature)


def check_nt_xent(nt_xent: Callable[..., Any]) -> list[Finding]:
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g)
    z2 = z1 + 0.5 * torch.randn(6, 4, generator=g)
    findings: list[Finding] = []
    for temperature in (0.2, 0.5):
        expected = float(reference_nt_xent(z1, z2, temperature))
        got = nt_xent(z1.clone(), z2.clone(), temperature)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            text = _("returns no single-number tensor: the mean cross-entropy over the 2N views")
            return [*findings, (False, text)]
        value = float(got.detach())
        if abs(value - expected) < 1e-4:
            text = _("temperature {temperature}: loss {value:.4f}, as the package's")
            findings.append((True, text.format(temperature=temperature, value=value)))
            continue
        z = F.normalize(torch.cat([z1, z2]), dim=1)
        partner = torch.cat([torch.arange(6, 12), torch.arange(0, 6)])
        unmasked = float(F.cross_entropy(z @ z.T / temperature, partner))
        if abs(value - unmasked) < 1e-4:
            template = _(
                "temperature {temperature}: loss {value:.4f}, expected {expected:.4f} "
                "(a view's similarity with itself must not count: set the diagonal to −inf)"
            )
        elif abs(value - float(F.cross_entropy((z @ z.T).fill_diagonal_(float("-inf")), partner))) < 1e-4:
            template = _(
                "temperature {temperature}: loss {value:.4f}, expected {expected:.4f} "
                "(divide the similarities by the temperature)"
            )
        else:
            template = _("temperature {temperature}: loss {value:.4f}, expected {expected:.4f}")
        findings.append((False, template.format(temperature=temperature, value=value, expected=expected)))
    return findings


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task("load_image", "01_dataset", "tutorial_utils.image_to_tensor", reference_load_image, check_load_image),
        Task(
            "make_encoder",
            "02_encoder_decoder",
            "tutorial_utils.ConvEncoder",
            reference_make_encoder,
            check_make_encoder,
        ),
        Task("train_epoch", "03_training", "tutorial_utils.train_step", reference_train_epoch, check_train_epoch),
        Task("embed_all", "04_embeddings", "tutorial_utils.create_embeddings", reference_embed_all, check_embed_all),
        Task("cosine_knn", "05_knn_search", "tutorial_utils.SimilarityIndex", reference_cosine_knn, check_cosine_knn),
        Task(
            "precision_at_k",
            "06_evaluation",
            "tutorial_utils.evaluation.precision_at_k",
            reference_precision_at_k,
            check_precision_at_k,
        ),
        Task(
            "triplet_loss",
            "07_beyond_autoencoders",
            "tutorial_utils.evaluation.triplet_margin_loss",
            reference_triplet_loss,
            check_triplet_loss,
        ),
        Task("nt_xent", "09_self_supervised", "tutorial_utils.selfsup.nt_xent", reference_nt_xent, check_nt_xent),
    )
}


def check(name: str, candidate: Callable[..., Any]) -> TaskReport:
    """Run the check of task ``name`` on ``candidate``; an error it raises is a finding, not a crash."""
    task = TASKS[name]
    try:
        findings = task.check(candidate)
    except NotImplementedError:
        return TaskReport(name, written=False)
    except Exception as error:  # the learner's code may fail in any way: say how, and carry on
        text = _("it raised {error_type}: {error}").format(error_type=type(error).__name__, error=error)
        return TaskReport(name, written=True, findings=[(False, text)])
    return TaskReport(name, written=True, findings=findings)


def your_turn(name: str, candidate: Callable[..., Any]) -> Callable[..., Any]:
    """Check the learner's ``candidate`` and print what matched; return it when it passes, else the package's.

    The lesson itself goes on with the package's version either way, so a task can be skipped and come back to.
    """
    task = TASKS[name]
    if candidate is task.reference:  # this cell ran before and put the package's version under the learner's name
        print(
            _(
                "Your turn · {name}: `{name}` holds the package's version now, not yours: run the cell that defines "
                "your function, then this one."
            ).format(name=name)
        )
        return candidate
    report = check(name, candidate)
    print(report)
    solutions = f"solutions/{task.notebook}_solutions.ipynb"
    # the "→ " stays outside the templates: i18n.translate_printed keeps such a prefix and translates the rest
    if report.passed:
        text = _("All {n} checks pass: your {name} does what {package} does.")
        print("→ " + text.format(n=len(report.findings), name=name, package=task.package_name))
        return candidate
    if report.written:
        failed = sum(not ok for ok, _text in report.findings)
        text = _(
            "{failed} of {total} checks failed. Fix it and run both cells again, or compare "
            "with the worked answer in {solutions}. The lesson goes on with {package}."
        )
        print(
            "→ "
            + text.format(failed=failed, total=len(report.findings), solutions=solutions, package=task.package_name)
        )
    else:
        text = _(
            "Write it now, or come back to it: the lesson goes on with {package}, and the worked "
            "answer is in {solutions}."
        )
        print("→ " + text.format(package=task.package_name, solutions=solutions))
    return task.reference
