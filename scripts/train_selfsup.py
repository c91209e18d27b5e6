"""Train the shipped self-supervised (SimCLR) embedding: data/pretrained/ comes from this script.

    python scripts/train_selfsup.py                      # the shipped run: 50 epochs, 51 minutes on a 2-core CPU
    python scripts/train_selfsup.py --epochs 2 --out runs/selfsup-try/simclr.pt   # a quick try

Training images, all used without their names or labels:
  * the lesson's 1,911 Noto emoji (data/emoji/images);
  * openmoji@17.0.0 (color/svg, CC BY-SA 4.0) and fluentui-emoji@1.3.0 (icons/flat and icons/modern, MIT),
    fetched with ``npm pack`` into --cache and rasterised to 64 px with resvg (pip install resvg-py).
data/emoji-queries/ is evaluation data and is never read here. The labels of data/emoji are read only to
print scores in the log every --eval-every epochs; nothing is chosen by them (the last epoch is saved).
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tutorial_utils.checkpoints import read_checkpoint
from tutorial_utils.data import FolderDataset, read_labels, resize_square, to_rgb
from tutorial_utils.embeddings import embed_images
from tutorial_utils.evaluation.baselines import stack_images
from tutorial_utils.evaluation.metrics import recall_at_k, score_embeddings
from tutorial_utils.models import ConvEncoder, ModelConfig
from tutorial_utils.paths import DEFAULT_DATA, DEFAULT_LABELS, DEFAULT_QUERIES
from tutorial_utils.selfsup.contrastive import ContrastiveSettings, fold_batch_norm, train_contrastive
from tutorial_utils.selfsup.embedder import (
    FEATURE_PARTS,
    SIMCLR_CHECKPOINT,
    SelfSupervisedEmbedder,
    mean_features,
    save_selfsup_checkpoint,
)

ROOT = Path(__file__).resolve().parents[1]

# npm package -> the folders of SVG drawings used from it, and their licence
EXTRA_SETS = {
    "openmoji@17.0.0": (("package/color/svg/",), "CC BY-SA 4.0, (c) OpenMoji contributors, https://openmoji.org"),
    "fluentui-emoji@1.3.0": (
        ("package/icons/flat/", "package/icons/modern/"),
        "MIT (npm package (c) 2022 Mohammad Abu Mattar; the drawings are Microsoft's Fluent UI Emoji, MIT)",
    ),
}


def fetch(package: str, cache: Path) -> Path:
    """The package's tarball in ``cache``, downloaded with ``npm pack`` the first time."""
    name, version = package.rsplit("@", 1)
    tarball = cache / f"{name}-{version}.tgz"
    if not tarball.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", package, "--silent"], cwd=cache, check=True, stdout=subprocess.DEVNULL)
    return tarball


def rasterise(svg: bytes, size: int = 64, margin: float = 0.03) -> Image.Image:
    """An SVG drawing as a ``size`` px RGB image on white, cropped to the drawing like the Noto images."""
    import resvg_py

    png = bytes(resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), width=4 * size))
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    box = image.getchannel("A").getbbox()
    if box is None:
        raise ValueError("empty drawing")
    pad = int(margin * max(box[2] - box[0], box[3] - box[1]))
    box = (max(0, box[0] - pad), max(0, box[1] - pad), min(image.width, box[2] + pad), min(image.height, box[3] + pad))
    return resize_square(to_rgb(image.crop(box)), size)


def extra_images(cache: Path, size: int = 64) -> tuple[np.ndarray, dict[str, int]]:
    """(N, 3, size, size) uint8 drawings from EXTRA_SETS, rasterised once and kept in ``cache``."""
    stored = cache / f"extra-{size}px.npz"
    if stored.is_file():
        data = np.load(stored)
        return data["images"], json.loads(str(data["counts"]))
    arrays, counts, failed = [], {}, 0
    for package, (folders, _) in EXTRA_SETS.items():
        with tarfile.open(fetch(package, cache)) as tar:
            members = sorted(
                (m for m in tar.getmembers() if m.isfile() and m.name.endswith(".svg") and m.name.startswith(folders)),
                key=lambda m: m.name,
            )
            for member in members:
                try:
                    arrays.append(np.asarray(rasterise(tar.extractfile(member).read(), size)))
                except ValueError:
                    failed += 1
            counts[package] = len(members)
    counts["failed to render"] = failed
    images = np.stack(arrays).transpose(0, 3, 1, 2).copy()
    np.savez(stored, images=images, counts=json.dumps(counts))
    return images, counts


# the embeddings scored in the log: name -> (pooling, histogram weight); the last is the one that ships
VARIANTS = {"simclr": (("avg",), 0.0), "simclr+histogram": (("avg",), 1.0), "shipped": (FEATURE_PARTS, 1.0)}


def evaluate(
    encoder, centre: torch.Tensor, images: torch.Tensor, labels: dict, queries: torch.Tensor, targets: list[int]
) -> dict:
    """Leave-one-out scores of each of VARIANTS (labels only score: nothing is chosen by them here)."""
    out = {}
    for name, (pooling, weight) in VARIANTS.items():
        embed = SelfSupervisedEmbedder(encoder, centre, pooling, weight).eval()
        collection, query_rows = embed_images(embed, images), embed_images(embed, queries)
        for level, labs in labels.items():
            out[f"{name} {level} P@10"] = round(score_embeddings(collection, labs)["P@10"], 4)
        out[f"{name} skin-tone R@1"] = round(recall_at_k(collection, query_rows, targets, (1,))["R@1"], 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=ContrastiveSettings.epochs)
    parser.add_argument("--batch-size", type=int, default=ContrastiveSettings.batch_size)
    parser.add_argument("--seed", type=int, default=ContrastiveSettings.seed)
    parser.add_argument("--no-extra", action="store_true", help="train on the Noto collection only")
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "selfsup-cache")
    parser.add_argument("--out", type=Path, default=SIMCLR_CHECKPOINT)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--encoder-from",
        type=Path,
        default=None,
        help="skip training: take the encoder, losses and log of this checkpoint and redo only the "
        "centring, the scores and the saving (after a change to the embedding, not the training)",
    )
    args = parser.parse_args()

    started = time.time()
    collection = FolderDataset(DEFAULT_DATA, image_size=64)
    images = stack_images(collection)
    files = collection.relative_paths
    labels = {level: read_labels(DEFAULT_LABELS, files, column=level) for level in ("category", "subcategory")}
    query_set = FolderDataset(DEFAULT_QUERIES, image_size=64)  # scores only: never trained on
    queries = stack_images(query_set)
    targets = [
        files.index(f)
        for f in read_labels(DEFAULT_QUERIES.parent / "labels.csv", query_set.relative_paths, column="base_file")
    ]
    train = (images * 255).round().to(torch.uint8)
    counts = {"noto (data/emoji)": len(train)}
    if not args.no_extra:
        extra, extra_counts = extra_images(args.cache)
        train = torch.cat([train, torch.from_numpy(extra)])
        counts.update(extra_counts)
    print(f"training images: {len(train):,} {counts}  (prepared in {time.time() - started:.0f} s)", flush=True)

    settings = ContrastiveSettings(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    log_path = args.out.with_name("training-log.jsonl")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if args.encoder_from is not None:
        state = read_checkpoint(args.encoder_from)
        encoder = ConvEncoder(tuple(state["config"]["channels"]))
        encoder.load_state_dict(state["encoder"])
        encoder, losses, trained = encoder.eval(), state["losses"], state["meta"]
        log_text = args.encoder_from.with_name("training-log.jsonl").read_text(encoding="utf-8")
        log_path.write_text(log_text, encoding="utf-8")
    else:
        trained = None
        log = log_path.open("w", encoding="utf-8")

        def on_epoch(epoch: int, loss: float, seconds: float, model) -> None:
            record = {"epoch": epoch, "loss": round(loss, 4), "seconds": round(seconds, 1)}
            if epoch % args.eval_every == 0 or epoch == args.epochs:
                folded = fold_batch_norm(model)  # centred on the collection here: cheaper than all training images
                record.update(evaluate(folded, mean_features(folded, images), images, labels, queries, targets))
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps(record), flush=True)

        model, losses = train_contrastive(train, settings, device=args.device, on_epoch=on_epoch)
        encoder = fold_batch_norm(model)
    centre = mean_features(encoder, train)
    embedder = SelfSupervisedEmbedder(encoder, centre, FEATURE_PARTS, histogram_weight=1.0)
    final = evaluate(encoder, centre, images, labels, queries, targets)
    meta = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "seed": args.seed,
        "settings": settings.to_dict(),
        "training_images": counts,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "minutes": round((time.time() - started) / 60, 1),
        "versions": {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": np.__version__},
        "machine": platform.processor() or platform.machine(),
        "final_scores": final,
        "embedding": {
            "pooling": list(FEATURE_PARTS),
            "histogram_weight": 1.0,
            "centre": "mean feature map of the training images",
        },
        "licences": {package: licence for package, (_, licence) in EXTRA_SETS.items()},
    }
    if trained is not None:  # the training itself was done by an earlier run of this script: its record stays
        kept = ("command", "device", "threads", "minutes", "versions", "machine")
        meta["encoder_trained_by"] = {k: trained[k] for k in kept}
        meta.update({k: trained[k] for k in ("seed", "settings", "training_images")})
    save_selfsup_checkpoint(args.out, ModelConfig(image_size=64), embedder, method="simclr", losses=losses, meta=meta)
    args.out.with_name("training.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
