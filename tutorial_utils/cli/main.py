"""The subcommands of ``python -m tutorial_utils``: a thin layer over the pipeline, the scale and evaluation extras."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..checkpoints import load_checkpoint
from ..data import ImageReadError
from ..devices import pick_device
from ..embeddings import Embedder, EmbeddingIndex, StaleIndexError
from ..models import ModelConfig
from ..paths import BEST_CHECKPOINT, CLI_RUN, DEFAULT_DATA, INDEX_FILE
from ..pipeline import TrainSettings, train_folder
from ..scale import build_index, fit_at_scale  # the scale package also registers the faiss backends
from ..scale.distributed import close_distributed, init_distributed, is_main_process, launched_by_torchrun
from ..search import BACKENDS, SimilarityIndex
from ..selfsup.embedder import SIMCLR_CHECKPOINT


def _cmd_train(args: argparse.Namespace) -> None:
    device = init_distributed(pick_device(args.device))
    config = ModelConfig(image_size=args.image_size, output=args.output)
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    history = train_folder(
        args.data,
        args.run_dir,
        config,
        settings,
        device=str(device),
        verbose=not args.quiet,
        trainer=fit_at_scale,
        resume=args.resume,
        progress=not args.quiet,
    )
    if is_main_process():
        print(
            f"best validation MSE {history.best_val_loss:.4f} at epoch {history.best_epoch}; "
            f"checkpoint: {Path(args.run_dir) / BEST_CHECKPOINT}"
        )


def _cmd_index(args: argparse.Namespace) -> None:
    if args.model == "simclr":
        checkpoint = SIMCLR_CHECKPOINT
    else:
        checkpoint = args.checkpoint or Path(args.run_dir) / BEST_CHECKPOINT
    out = args.out or Path(args.run_dir) / INDEX_FILE
    device = init_distributed(pick_device(args.device))
    index = build_index(
        args.data,
        checkpoint,
        out,
        pooling=args.pooling,
        device=str(device),
        batch_size=args.batch_size,
        num_workers=args.workers,
        progress=not args.quiet,
    )
    if is_main_process():
        print(f"indexed {len(index.files)} images ({index.embeddings.shape[1]} values each) -> {out}")


def _embedder_for(index: EmbeddingIndex, index_path: Path, checkpoint: Path | None, device: str | None) -> Embedder:
    """The Embedder that made ``index`` (its checkpoint and pooling), so queries land in the same space."""
    checkpoint = checkpoint or index.meta.get("checkpoint")
    if checkpoint is None:
        raise ValueError(f"{index_path}: the index does not say which checkpoint made it; pass --checkpoint")
    encoder, _, config, _ = load_checkpoint(checkpoint)
    return Embedder(encoder, config.image_size, index.meta.get("pooling", "flatten"), pick_device(device))


def _cmd_search(args: argparse.Namespace) -> None:
    index_path = args.index or Path(args.run_dir) / INDEX_FILE
    index = EmbeddingIndex.load(index_path)
    embedder = _embedder_for(index, index_path, args.checkpoint, args.device)
    searcher = SimilarityIndex(index, embedder, metric=args.metric, backend=args.backend)
    (result,) = searcher.search(args.query, k=args.k)
    print(f"{args.k} nearest images to {args.query} ({args.metric} distance):")
    for rank, (path, dist) in enumerate(zip(result.paths, result.distances, strict=True), start=1):
        print(f"{rank:3d}. {dist:.4f}  {path}")
    if args.picture:
        from ..plots import plot_neighbours  # matplotlib only when a picture is asked for

        plot_neighbours(args.query, result, query_title=Path(args.query).name[:18]).savefig(args.picture, dpi=100)
        print(f"picture: {args.picture}")


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from ..data import list_image_files, read_labels
    from ..evaluation.metrics import per_label_precision, recall_at_k, score_embeddings

    if args.labels is None and args.queries is None and not args.robustness:
        raise ValueError("nothing to evaluate: give --labels, --queries or --robustness")
    index_path = args.index or Path(args.run_dir) / INDEX_FILE
    index = EmbeddingIndex.load(index_path)
    if args.labels is not None:
        for column in args.column:
            labels = read_labels(args.labels, index.files, column=column)
            scores = score_embeddings(index.embeddings, labels, k=args.k, metric=args.metric)
            print(
                f"{column}: "
                + ", ".join(f"{name} {value:.3f}" for name, value in scores.items())
                + f"  ({len(index.files)} images, {len(set(labels))} labels, {args.metric}, leave-one-out)"
            )
            if args.per_label:
                for name, value in sorted(
                    per_label_precision(index.embeddings, labels, args.k, args.metric).items(), key=lambda kv: -kv[1]
                ):
                    print(f"    {value:.3f}  {name}")
    if args.queries is None and not args.robustness:
        return
    embedder = _embedder_for(index, index_path, None, args.device)
    if args.queries is not None:
        paths = list_image_files(args.queries)
        if not paths:
            raise ValueError(f"{args.queries}: no image files found")
        query_labels = args.query_labels or Path(args.queries).parent / "labels.csv"
        names = [p.relative_to(args.queries).as_posix() for p in paths]
        answers = read_labels(query_labels, names, column=args.target_column)
        rows = {name: i for i, name in enumerate(index.files)}
        unknown = sorted({a for a in answers if a not in rows})
        if unknown:
            raise ValueError(
                f"{query_labels}: {len(unknown)} answer(s) in column {args.target_column!r} "
                f"are not in the index, e.g. {unknown[0]}"
            )
        vectors = embedder(paths)
        recall = recall_at_k(index.embeddings, vectors, [rows[a] for a in answers], (1, 5), args.metric)
        print(
            f"queries: R@1 {recall['R@1']:.3f}, R@5 {recall['R@5']:.3f}  ({len(paths)} images of {args.queries}, "
            f"right answer from column {args.target_column!r}, {args.metric})"
        )
    if args.robustness:
        import numpy as np
        import torch

        from ..data import image_to_tensor
        from ..evaluation.robustness import robustness_suite, suite_recall

        images = torch.stack([image_to_tensor(p, embedder.image_size) for p in index.paths])
        print(
            f"robustness: restyled copies of the {len(images)} indexed images, "
            f"each must find its original ({args.metric})"
        )
        suite = robustness_suite(images)
        recall = suite_recall(index.embeddings, embedder, suite, np.arange(len(images)), metric=args.metric)
        for name in suite:
            print(f"    {name:<14} R@1 {recall[f'{name} R@1']:.3f}, R@5 {recall[f'{name} R@5']:.3f}")
        print(f"    {'mean':<14} R@1 {recall['mean R@1']:.3f}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m tutorial_utils", description="Image similarity search with a convolutional autoencoder."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--run-dir", type=Path, default=CLI_RUN, help="folder for checkpoints and index (%(default)s)")
        p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")

    p = sub.add_parser("train", help="train the autoencoder on a folder of images")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of images (%(default)s)")
    p.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    p.add_argument("--batch-size", type=int, default=TrainSettings.batch_size)
    p.add_argument("--lr", type=float, default=TrainSettings.lr)
    p.add_argument("--seed", type=int, default=TrainSettings.seed)
    p.add_argument("--image-size", type=int, default=64, help="side in pixels, a multiple of 32 (%(default)s)")
    p.add_argument(
        "--output",
        choices=["relu", "sigmoid"],
        default="sigmoid",
        help="decoder's last activation (%(default)s; relu is the original tutorial's)",
    )
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    common(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("index", help="embed every image of a folder and save the search index")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of images (%(default)s)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="an autoencoder or self-supervised checkpoint (default: RUN_DIR/best.pt)",
    )
    which.add_argument(
        "--model",
        choices=["autoencoder", "simclr"],
        default="autoencoder",
        help="autoencoder: RUN_DIR/best.pt; simclr: the shipped self-supervised embedding "
        "(data/pretrained/simclr.pt, no training needed) (%(default)s)",
    )
    p.add_argument("--out", type=Path, default=None, help="default: RUN_DIR/index.json")
    p.add_argument(
        "--pooling",
        choices=["flatten", "avg"],
        default="flatten",
        help="how an autoencoder's feature map becomes a vector; the simclr embedding is one already",
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="DataLoader processes that read and decode files "
        "(default: one per four cores, 1 to 4; none on a 1-core machine)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    common(p)
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser("search", help="print the k most similar indexed images to a query image")
    p.add_argument("query", type=Path, help="an image file of any size or mode")
    p.add_argument("-k", type=int, default=5, help="number of neighbours (%(default)s)")
    p.add_argument("--index", type=Path, default=None, help="default: RUN_DIR/index.json")
    p.add_argument("--checkpoint", type=Path, default=None, help="default: the one the index was built with")
    p.add_argument("--metric", choices=["cosine", "euclidean"], default="cosine")
    p.add_argument("--picture", type=Path, default=None, help="also save a PNG of the query and its neighbours")
    p.add_argument(
        "--backend",
        choices=list(BACKENDS),
        default="sklearn",
        help="sklearn (exact), faiss (exact, faster) or faiss-ann (approximate); faiss needs "
        "pip install -e '.[scale]' (%(default)s)",
    )
    common(p)
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser(
        "evaluate",
        help="score an index: precision@k and mAP@k against labels, recall of known queries, recall of restyled copies",
    )
    p.add_argument("--labels", type=Path, default=None, help="CSV with a 'file' column (names as in the index)")
    p.add_argument("--column", nargs="+", default=["category"], help="label column(s) to score (%(default)s)")
    p.add_argument("--index", type=Path, default=None, help="default: RUN_DIR/index.json")
    p.add_argument("-k", type=int, default=10, help="neighbours per query (%(default)s)")
    p.add_argument("--metric", choices=["cosine", "euclidean"], default="cosine")
    p.add_argument("--per-label", action="store_true", help="also print P@k for each label")
    p.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="a folder of query images (never indexed) whose right answers are known: prints R@1 and R@5",
    )
    p.add_argument("--query-labels", type=Path, default=None, help="their CSV (default: labels.csv beside --queries)")
    p.add_argument(
        "--target-column",
        default="base_file",
        help="column of --query-labels naming the indexed file each query should find (%(default)s)",
    )
    p.add_argument(
        "--robustness",
        action="store_true",
        help="restyle every indexed image 7 ways (hue, grey, rotation, 70%% size, blur, JPEG, outline) "
        "and print how often each copy finds its original",
    )
    common(p)
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; expected errors become a one-line message and exit code 2."""
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)  # skipped files etc. as plain lines, no source line
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("tutorial_utils")
    log.addHandler(handler)
    log.propagate = False
    try:
        args.func(args)
    except (FileNotFoundError, ValueError, ImageReadError, StaleIndexError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted; the previous index and checkpoints are intact (index and train --resume continue)",
            file=sys.stderr,
        )
        return 130
    finally:
        log.removeHandler(handler)
        log.propagate = True
        if launched_by_torchrun():
            close_distributed()
    return 0
