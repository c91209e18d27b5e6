"""The original tutorial's way and this project's, side by side, measured in one run.

Sections (each prints its rows as it finishes; nothing is asserted, read the table):
  training   one epoch (train + validation) on the shipped emoji at the lesson's settings (64 px, batch 32):
             the original's loop (PIL decode per item, NCHW) vs tutorial_utils (decoded once, channels-last, ...)
  indexing   decode + embed + save every emoji: the original's create_embedding vs index_folder (the lesson's)
             and build_index (streaming, with and without reader processes)
  search     100 queries over the emoji: a NearestNeighbors refitted per query (original) vs fitted once,
             with each backend
  scale      Q queries over N vectors shaped like real embeddings (see make_vectors): scikit-learn, a plain
             torch.topk scan, bare FAISS IndexFlatIP, SimilarityIndex(backend="faiss"), and "faiss-ann" (IVF)
             over a range of nprobe, with recall@10 against exact search and memory per vector

    .venv/bin/python -m scripts.benchmark                       # emoji sections + 100,000 x 1,024 (~5 min here)
    .venv/bin/python -m scripts.benchmark --only scale --scale 1000000:avg --json runs/bench-1m.json
    .venv/bin/python -m scripts.benchmark --quick               # fewer repeats and 20,000 vectors (~1 min)

It runs as a module from the repository root, where the original tutorial's code (``benchmarks``) is found.

Timings are medians of interleaved repeats (the original's and ours alternate), so a slow moment of the
machine hits both. FAISS and scikit-learn need ``pip install -e ".[scale]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from benchmarks import original_tutorial as original
from tutorial_utils.checkpoints import load_checkpoint, save_checkpoint
from tutorial_utils.data import FolderDataset
from tutorial_utils.embeddings import EmbeddingIndex, create_embeddings
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.paths import DEFAULT_DATA, REFERENCE_CHECKPOINT
from tutorial_utils.pipeline import index_folder
from tutorial_utils.scale.indexing import build_index
from tutorial_utils.scale.timing import median_times
from tutorial_utils.scale.vectors import make_vectors, recall_curve
from tutorial_utils.search import SimilarityIndex
from tutorial_utils.training import make_adam, make_loaders, train_step, val_step

ROOT = Path(__file__).resolve().parents[1]

RESULTS: dict = {}


def row(section: str, what: str, seconds: float, baseline: float | None = None, extra: str = "") -> None:
    """Print one table row and keep it for --json."""
    speed = f"{baseline / seconds:6.2f}x" if baseline else "      "
    print(f"  {what:<52} {seconds:9.3f} s  {speed}  {extra}")
    RESULTS.setdefault(section, []).append(
        {"what": what, "seconds": seconds, "speedup": baseline / seconds if baseline else None, "extra": extra}
    )


def bench_training(repeats: int) -> None:
    print("\ntraining: one epoch (train + validation), 1,911 emoji at 64 px, batch 32    seconds   speed-up")
    import torchvision.transforms as T

    torch.manual_seed(0)
    full = original.OriginalFolderDataset(str(DEFAULT_DATA), T.Compose([T.ToTensor()]))
    train_set, val_set = torch.utils.data.random_split(full, [0.8, 0.2])
    o_train = DataLoader(train_set, batch_size=32, shuffle=True)
    o_val = DataLoader(val_set, batch_size=32)
    o_enc, o_dec = original.original_encoder(), original.original_decoder()
    o_opt = torch.optim.Adam(list(o_enc.parameters()) + list(o_dec.parameters()), lr=1e-3)
    loss_fn = nn.MSELoss()

    start = time.perf_counter()
    dataset = FolderDataset(DEFAULT_DATA, image_size=64)  # decoded once, here
    setup = time.perf_counter() - start
    train_loader, val_loader, _ = make_loaders(dataset, 32, 0.2, 0)
    encoder, decoder = build_models(ModelConfig())
    encoder.to(memory_format=torch.channels_last)
    decoder.to(memory_format=torch.channels_last)
    optimizer = make_adam(list(encoder.parameters()) + list(decoder.parameters()), 2e-3, torch.device("cpu"))

    def original_epoch() -> None:
        original.train_step(o_enc, o_dec, o_train, loss_fn, o_opt, "cpu")
        original.val_step(o_enc, o_dec, o_val, loss_fn, "cpu")

    def our_epoch() -> None:
        train_step(encoder, decoder, train_loader, loss_fn, optimizer, "cpu")
        val_step(encoder, decoder, val_loader, loss_fn, "cpu")

    t = median_times({"original": original_epoch, "ours": our_epoch}, repeats)
    n = len(full)
    row("training", "original loop (PIL decode per item, NCHW)", t["original"], extra=f"{n / t['original']:.0f} img/s")
    row(
        "training",
        "train_step/val_step (decoded once, channels-last)",
        t["ours"],
        t["original"],
        f"{n / t['ours']:.0f} img/s",
    )
    row("training", "  + decoding the folder once (FolderDataset, before epoch 1)", setup)


def untrained_checkpoint(folder: Path) -> Path:
    torch.manual_seed(0)
    encoder, decoder = build_models(ModelConfig())
    return save_checkpoint(folder / "untrained.pt", ModelConfig(), encoder, decoder)


def bench_indexing(repeats: int, work: Path) -> None:
    print("\nindexing: decode + embed + save all 1,911 emoji (untrained encoder)             seconds   speed-up")
    import torchvision.transforms as T

    from tutorial_utils.scale.indexing import default_workers

    checkpoint = untrained_checkpoint(work)
    o_enc = original.original_encoder()  # the same architecture; speed does not depend on the weights

    def original_index() -> None:
        dataset = original.OriginalFolderDataset(str(DEFAULT_DATA), T.Compose([T.ToTensor()]))
        loader = DataLoader(dataset, batch_size=32)
        embedding = original.create_embedding(o_enc, loader, (1, 256, 2, 2), "cpu")
        flat = embedding.cpu().detach().numpy().reshape((embedding.shape[0], -1))
        np.save(work / "data_embedding.npy", flat)

    fns = {
        "original": original_index,
        "lesson": lambda: index_folder(DEFAULT_DATA, checkpoint, work / "index2.json", device="cpu"),
        "ours": lambda: build_index(DEFAULT_DATA, checkpoint, work / "index.json", device="cpu"),
        "other": lambda: build_index(
            DEFAULT_DATA, checkpoint, work / "index1.json", device="cpu", num_workers=0 if default_workers() else 1
        ),
    }
    t = median_times(fns, repeats)
    row("indexing", "original create_embedding (torch.cat growth) + np.save", t["original"])
    row("indexing", "index_folder (the lesson's: FolderDataset + create_embeddings)", t["lesson"], t["original"])
    workers = default_workers()
    row(
        "indexing", f"build_index (streaming; default: {workers} DataLoader worker processes)", t["ours"], t["original"]
    )
    row("indexing", f"build_index, {0 if workers else 1} DataLoader worker processes", t["other"], t["original"])
    index = EmbeddingIndex.load(work / "index.json")
    print(f"  ({len(index.files)} rows x {index.embeddings.shape[1]}, memory-mapped; each file read once)")


def bench_emoji_search(repeats: int, embeddings: np.ndarray) -> None:
    title = f"search: 100 queries over {len(embeddings):,} emoji embeddings, k = 10"
    print(f"\n{title:<80}seconds   speed-up")
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    queries = embeddings[rng.choice(len(embeddings), 100, replace=False)] + 0.01 * rng.standard_normal(
        (100, embeddings.shape[1])
    ).astype(np.float32)
    index = EmbeddingIndex(embeddings, [f"{i}" for i in range(len(embeddings))], Path("."), [""] * len(embeddings))

    def refit_per_query() -> None:
        for q in queries:
            NearestNeighbors(n_neighbors=10, metric="cosine").fit(embeddings).kneighbors(q[None])

    fns: dict[str, Callable[[], object]] = {"refit": refit_per_query}
    searchers = {name: SimilarityIndex(index, backend=name) for name in available_backends()}
    for name, searcher in searchers.items():
        fns[name] = lambda s=searcher: s.search_vectors(queries, k=10)
    t = median_times(fns, repeats)
    row("search", "NearestNeighbors refitted for every query (original)", t["refit"])
    for name in searchers:
        row("search", f"SimilarityIndex(backend={name!r}), fitted once", t[name], t["refit"])


def available_backends() -> list[str]:
    try:
        import faiss  # noqa: F401
    except ImportError:
        print("  (faiss is not installed: pip install -e '.[scale]' for the faiss rows)")
        return ["sklearn"]
    return ["sklearn", "faiss", "faiss-ann"]


def real_embeddings(pooling: str) -> np.ndarray:
    """Embeddings of the 1,911 emoji by the lesson's reference encoder (data/pretrained/autoencoder.pt)."""
    encoder, _, config, _ = load_checkpoint(REFERENCE_CHECKPOINT)
    dataset = FolderDataset(DEFAULT_DATA, image_size=config.image_size)
    return create_embeddings(encoder, DataLoader(dataset, batch_size=128), "cpu", pooling=pooling)


def torch_topk(x: torch.Tensor, q: torch.Tensor, k: int, chunk: int = 200_000) -> torch.Tensor:
    """Exact cosine top-k by a plain scan: normalised Q @ X.T in chunks of rows, then torch.topk."""
    best_val, best_idx = None, None
    for start in range(0, len(x), chunk):
        sims = q @ x[start : start + chunk].T
        val, idx = sims.topk(min(k, sims.shape[1]), dim=1)
        idx += start
        if best_val is None:
            best_val, best_idx = val, idx
        else:
            val, pos = torch.cat([best_val, val], 1).topk(k, dim=1)
            best_idx, best_val = torch.cat([best_idx, idx], 1).gather(1, pos), val
    return best_idx


def bench_scale(n: int, pooling: str, n_queries: int, repeats: int, nprobes: list[int]) -> None:
    real = real_embeddings(pooling)
    start = time.perf_counter()
    x, queries = make_vectors(real, n, n_queries, seed=0)
    made = time.perf_counter() - start
    key = f"scale {n}x{x.shape[1]}"
    print(
        f"\nscale: {n_queries:,} queries over {n:,} x {x.shape[1]} vectors made from real emoji embeddings "
        f"({pooling} pooling; made in {made:.1f} s)       seconds   speed-up"
    )
    index = EmbeddingIndex(x, [f"{i}" for i in range(n)], Path("."), [""] * n)
    backends = available_backends()
    k = 10
    fns: dict[str, Callable[[], object]] = {}
    if n <= 200_000:
        sk = SimilarityIndex(index, backend="sklearn")
        fns["sklearn"] = lambda: sk.search_vectors(queries, k=k)
    from tutorial_utils.search import normalise_rows

    xt, qt = torch.from_numpy(normalise_rows(x)), torch.from_numpy(normalise_rows(queries))
    fns["topk"] = lambda: torch_topk(xt, qt, k)
    if "faiss" in backends:
        import faiss

        flat = faiss.IndexFlatIP(x.shape[1])
        flat.add(normalise_rows(x))
        qn = normalise_rows(queries)
        fns["bare"] = lambda: flat.search(qn, k)
        start = time.perf_counter()
        exact = SimilarityIndex(index, backend="faiss")
        exact_build = time.perf_counter() - start
        fns["faiss"] = lambda: exact.search_vectors(queries, k=k)
    t = median_times(fns, repeats)
    base = t.get("sklearn", t["topk"])
    if "sklearn" in t:
        row(key, "SimilarityIndex(backend='sklearn'): brute force", t["sklearn"])
    row(key, "plain torch.topk(Q @ X.T) scan", t["topk"], base)
    if "faiss" not in backends:
        return
    xt = qt = None  # free the copies (the lambdas above are done with them)
    row(key, "bare FAISS IndexFlatIP.search", t["bare"], base)
    row(
        key,
        "SimilarityIndex(backend='faiss') (+ float64 re-rank)",
        t["faiss"],
        base,
        f"{t['faiss'] / t['bare']:.2f}x the bare index's time; built in {exact_build:.1f} s; "
        f"{exact.backend.bytes_per_vector():.0f} B/vector",
    )
    truth = [r.indices for r in exact.search_vectors(queries, k=k)]
    flat = None
    start = time.perf_counter()
    ann = SimilarityIndex(index, backend="faiss-ann")
    build = time.perf_counter() - start
    nlist = ann.backend.nlist
    print(
        f"  faiss-ann: IVF with nlist = {nlist:,} lists, built (k-means + add) in {build:.1f} s, "
        f"{ann.backend.bytes_per_vector():.0f} B/vector"
    )
    ann.search_vectors(queries[:10], k=k)  # warm-up
    curve = [
        {"nprobe": c["nprobe"], "seconds": c["seconds"], "recall@10": c["recall"]}
        for c in recall_curve(ann, queries, truth, [p for p in nprobes if p <= nlist], k=k, repeats=repeats)
    ]
    for c in curve:
        row(
            key,
            f"SimilarityIndex(backend='faiss-ann', nprobe={c['nprobe']})",
            c["seconds"],
            t["faiss"],
            f"recall@10 {c['recall@10']:.3f} (speed-up against exact FAISS)",
        )
    RESULTS[key + " ann"] = {
        "nlist": nlist,
        "build_s": build,
        "bytes_per_vector": ann.backend.bytes_per_vector(),
        "exact_bytes_per_vector": exact.backend.bytes_per_vector(),
        "curve": curve,
        "exact_faiss_s": t["faiss"],
        "bare_faiss_s": t["bare"],
        "n": n,
        "dim": x.shape[1],
        "queries": n_queries,
    }
    good = [c for c in curve if c["recall@10"] >= 0.95]
    if good:
        best = min(good, key=lambda c: c["seconds"])
        print(
            f"  -> fastest setting with recall@10 >= 0.95: nprobe={best['nprobe']}, "
            f"{t['faiss'] / best['seconds']:.1f}x faster than exact FAISS, recall@10 {best['recall@10']:.3f}"
        )


def plot(path: Path) -> None:
    """Speed-ups of the side-by-side rows, and recall against query time for each scale run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    curves = {k: v for k, v in RESULTS.items() if k.endswith(" ann")}
    fig, axes = plt.subplots(1, 1 + len(curves), figsize=(6 + 5 * len(curves), 4.5), squeeze=False)
    ax = axes[0, 0]
    labels, values = [], []
    for section in ("training", "indexing", "search"):
        for r in RESULTS.get(section, []):
            if r["speedup"]:
                labels.append(f"{section}: {r['what'][:40]}")
                values.append(r["speedup"])
    ax.barh(labels[::-1], values[::-1], color="tab:blue")
    ax.axvline(1.0, color="k", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("speed-up against the original tutorial's way (log scale)")
    for ax, (_key, res) in zip(axes[0, 1:], curves.items(), strict=False):
        seconds = [c["seconds"] for c in res["curve"]]
        ax.plot(seconds, [c["recall@10"] for c in res["curve"]], "o-", label="faiss-ann (IVF), nprobe =")
        for c in res["curve"]:
            ax.annotate(str(c["nprobe"]), (c["seconds"], c["recall@10"]), textcoords="offset points", xytext=(4, -10))
        ax.axvline(res["exact_faiss_s"], color="tab:red", ls="--", label="exact FAISS")
        ax.axhline(0.95, color="gray", ls=":", label="recall 0.95")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(f"seconds for {res['queries']:,} queries (log scale)")
        ax.set_ylabel("recall@10 against exact search")
        ax.set_title(f"{res['n']:,} x {res['dim']} vectors")
        ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"\nplot: {path}")


def cpu_name() -> str:
    """The CPU's model name where the OS says it (Linux), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def faiss_version() -> str:
    try:
        import faiss
    except ImportError:
        return "not installed"
    return faiss.__version__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["training", "indexing", "search", "scale"],
        default=["training", "indexing", "search", "scale"],
    )
    parser.add_argument(
        "--scale",
        nargs="+",
        default=None,
        metavar="N:POOLING",
        help="vector collections for the scale section, e.g. 100000:flatten 1000000:avg",
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nprobe", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64, 128])
    parser.add_argument("--quick", action="store_true", help="1 repeat, 20,000 vectors, 200 queries")
    parser.add_argument("--json", type=Path, default=None, help="write every measured row here")
    parser.add_argument("--plot", type=Path, default=ROOT / "runs" / "benchmark.png")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Palette images with Transparency")  # the original's convert("RGB")
    if args.quick:
        args.repeats, args.queries = 1, 200
        args.scale = args.scale or ["20000:flatten"]
    scales = args.scale or ["100000:flatten"]
    machine = (
        f"{cpu_name()} ({os.cpu_count()} cores), {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, faiss {faiss_version()}, Python {platform.python_version()}"
    )
    print(f"benchmark on {machine}")
    RESULTS["machine"] = machine
    RESULTS["vectors"] = "tutorial_utils.scale.make_vectors defaults (spread 1.0, noise 0.2), seed 0"
    with tempfile.TemporaryDirectory() as tmp:
        if "training" in args.only:
            bench_training(args.repeats)
        if "indexing" in args.only:
            bench_indexing(args.repeats, Path(tmp))
        if "search" in args.only:
            bench_emoji_search(args.repeats, real_embeddings("flatten"))
        if "scale" in args.only:
            for spec in scales:
                n, pooling = spec.split(":")
                bench_scale(int(n), pooling, args.queries, args.repeats, args.nprobe)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(RESULTS, indent=1))
        print(f"json: {args.json}")
    if args.plot:
        plot(args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
