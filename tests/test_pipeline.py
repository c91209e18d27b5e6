from __future__ import annotations

import shutil
from pathlib import Path

from tutorial_utils.embeddings import EmbeddingIndex
from tutorial_utils.models import ModelConfig
from tutorial_utils.paths import REFERENCE_CHECKPOINT, REPO_ROOT, lesson_run_dir, relative
from tutorial_utils.pipeline import TrainSettings, ensure_index, load_history, train_folder

from .conftest import distinct_image

CONFIG = ModelConfig(image_size=32)


def test_lesson_run_dir_follows_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("TUTORIAL_RUN_DIR", str(tmp_path / "r"))
    assert lesson_run_dir() == (tmp_path / "r").resolve()
    monkeypatch.delenv("TUTORIAL_RUN_DIR")
    assert lesson_run_dir() == REPO_ROOT / "runs" / "lesson"


def test_relative_inside_and_outside_the_repo(tmp_path: Path):
    assert relative(REPO_ROOT / "data" / "emoji") == "data/emoji"
    assert relative(tmp_path) == tmp_path.resolve().as_posix()


def test_train_folder_is_reproducible_and_saves_history(image_folder: Path, tmp_path: Path):
    settings = TrainSettings(epochs=2, batch_size=4, seed=5)
    a = train_folder(image_folder, tmp_path / "a", CONFIG, settings, verbose=False)
    b = train_folder(image_folder, tmp_path / "b", CONFIG, settings, verbose=False)
    assert a.val_loss == b.val_loss  # the seed fixes the initial weights too
    assert load_history(tmp_path / "a").val_loss == a.val_loss


def test_ensure_index_builds_reuses_and_rebuilds(image_folder: Path, tiny_run: Path):
    run = tiny_run
    first = ensure_index(run, run / "best.pt", image_folder)
    assert len(first.files) == 12
    assert (run / "index.json").is_file()
    stamp = (run / "index.json").stat().st_mtime_ns
    ensure_index(run, run / "best.pt", image_folder)
    assert (run / "index.json").stat().st_mtime_ns == stamp  # fresh index reused
    distinct_image(50).save(image_folder / "new.png")
    rebuilt = ensure_index(run, run / "best.pt", image_folder)
    assert len(rebuilt.files) == 13  # stale index rebuilt
    assert EmbeddingIndex.load(run / "index.json").files == rebuilt.files
    avg = ensure_index(run, run / "best.pt", image_folder, pooling="avg")
    assert avg.meta["pooling"] == "avg"
    assert avg.embeddings.shape == (13, 256)


def test_ensure_index_rebuilds_for_another_checkpoint(image_folder: Path, tiny_checkpoint: Path, tmp_path: Path):
    # a: the session's tiny model; b: the same recipe with another seed, so other weights
    (tmp_path / "a").mkdir()
    shutil.copyfile(tiny_checkpoint, tmp_path / "a" / "best.pt")
    train_folder(image_folder, tmp_path / "b", CONFIG, TrainSettings(epochs=1, batch_size=4, seed=1), verbose=False)
    run = tmp_path / "run"
    a = ensure_index(run, tmp_path / "a" / "best.pt", image_folder)
    b = ensure_index(run, tmp_path / "b" / "best.pt", image_folder)
    assert a.meta["checkpoint_sha1"] != b.meta["checkpoint_sha1"]
    assert EmbeddingIndex.load(run / "index.json").meta["checkpoint_sha1"] == b.meta["checkpoint_sha1"]


def test_the_lesson_build_and_the_streaming_build_write_one_record(image_folder: Path, tiny_run: Path, tmp_path: Path):
    """index_folder and scale.build_index save through write_index: the same meta, which ensure_index accepts."""
    import json

    from tutorial_utils.pipeline import index_folder
    from tutorial_utils.scale import build_index

    (image_folder / "notes.png").write_text("not a picture")  # one unreadable file, recorded as skipped by both
    checkpoint = tiny_run / "best.pt"
    lesson = index_folder(image_folder, checkpoint, tmp_path / "lesson" / "index.json", device="cpu")
    streamed = build_index(image_folder, checkpoint, tmp_path / "streamed" / "index.json", device="cpu", num_workers=0)
    assert lesson.meta == streamed.meta
    assert lesson.meta["skipped"] == ["notes.png"]
    manifests = [json.loads((tmp_path / run / "index.json").read_text()) for run in ("lesson", "streamed")]
    assert [sorted(m) for m in manifests] == [sorted(manifests[0])] * 2
    assert manifests[0]["meta"] == manifests[1]["meta"]
    stamp = (tmp_path / "streamed" / "index.json").stat().st_mtime_ns
    ensure_index(tmp_path / "streamed", checkpoint, image_folder)
    assert (tmp_path / "streamed" / "index.json").stat().st_mtime_ns == stamp  # accepted as it is, not rebuilt


def test_the_reference_checkpoint_is_notebook_03s_recipe():
    """The shipped model loads on a fresh clone and was made with the defaults notebook 03 trains with."""
    import json
    from dataclasses import asdict

    from tutorial_utils.checkpoints import load_checkpoint

    _encoder, decoder, config, state = load_checkpoint(REFERENCE_CHECKPOINT)
    assert decoder is not None
    assert config == ModelConfig(image_size=64)
    record = json.loads(REFERENCE_CHECKPOINT.with_suffix(".json").read_text())
    assert record["settings"] == asdict(TrainSettings())
    assert record["config"] == config.to_dict()
    assert state["meta"] == record
    assert "optimizer" not in state
    history = state["history"]
    assert len(history["val_loss"]) == TrainSettings().epochs
    assert state["val_loss"] == history["best_val_loss"] == min(history["val_loss"]) == record["best_val_loss"]
    log = (REFERENCE_CHECKPOINT.parent / "autoencoder-log.jsonl").read_text().splitlines()
    assert [json.loads(line)["val_mse"] for line in log] == history["val_loss"]
