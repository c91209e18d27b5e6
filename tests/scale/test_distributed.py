"""torchrun: 2 CPU processes train with DDP (gloo) and index into one shared array; the results are usable.

One DDP step equals one step on the combined batch; every process ends with the same weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from tests.conftest import make_folder, train_args
from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.cli.main import main
from tutorial_utils.embeddings import EmbeddingIndex
from tutorial_utils.scale.indexing import build_index

ROOT = Path(__file__).resolve().parents[2]


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


def test_torchrun_trains_with_ddp_then_indexes_and_searches(tmp_path: Path, capsys):
    folder = tmp_path / "images"
    make_folder(folder, n=21)  # odd: the two shares of the index differ in size
    run = tmp_path / "run"
    done = _torchrun("-m", "tutorial_utils", *train_args(folder, run, 2))
    assert done.returncode == 0, done.stderr[-3000:]
    # rank 0 alone prints and writes: one line per epoch, one summary, the usual files
    assert done.stdout.count("epoch   1/2") == 1
    assert done.stdout.count("best validation MSE") == 1
    history = json.loads((run / "history.json").read_text())["history"]
    assert len(history["train_loss"]) == 2
    assert all(np.isfinite(history["val_loss"]))
    _, _, config, state = load_checkpoint(run / "last.pt")
    assert config.image_size == 32
    assert state["epoch"] == 2

    # one more launch (each costs ~10 s here): first one DDP step against the same step in one process,
    # then `python -m tutorial_utils index` itself, in the same two processes
    script = tmp_path / "ddp_step_then_index.py"
    script.write_text(DDP_STEP_THEN_INDEX)
    done = _torchrun(
        str(script),
        str(tmp_path),
        "index",
        "--data",
        str(folder),
        "--run-dir",
        str(run),
        "--device",
        "cpu",
        "--batch-size",
        "4",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ddp = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    single = torch.load(tmp_path / "single.pt")
    for name, value in single.items():
        assert torch.equal(ddp[0][name], ddp[1][name]), name  # every process holds the same weights
        torch.testing.assert_close(ddp[0][name], value, atol=1e-6, rtol=1e-5)  # = one step on all 8 images

    assert done.stdout.count("indexed 21 images") == 1
    shared = EmbeddingIndex.load(run / "index.json")
    alone = build_index(folder, run / "best.pt", tmp_path / "alone.json", device="cpu", num_workers=0)
    assert shared.files == alone.files
    assert shared.digests == alone.digests
    np.testing.assert_allclose(shared.embeddings, alone.embeddings, atol=1e-5)

    assert main(["search", str(folder / "img_004.png"), "-k", "3", "--run-dir", str(run)]) == 0
    assert capsys.readouterr().out.count("img_0") == 4


DDP_STEP_THEN_INDEX = '''
"""Under torchrun: one DDP step with 2 processes x 4 images (and, on rank 0, the same step on all 8 images in
one process), then `python -m tutorial_utils <the remaining arguments>`."""
import runpy
import sys
from pathlib import Path

import torch
from torch import nn

from tutorial_utils.scale.distributed import init_distributed, process_group_info
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.training import train_step



def step(encoder, decoder, batch):
    opt = torch.optim.SGD(list(encoder.parameters()) + list(decoder.parameters()), lr=0.5)
    return train_step(encoder, decoder, [(batch, batch)], nn.MSELoss(), opt, "cpu")


def weights(enc, dec):
    return {**{"e." + k: v for k, v in enc.state_dict().items()}, **{"d." + k: v for k, v in dec.state_dict().items()}}


def main():
    out = Path(sys.argv[1])
    init_distributed(torch.device("cpu"))
    rank, world = process_group_info()
    torch.manual_seed(0)
    images = torch.rand(8, 3, 32, 32)
    torch.manual_seed(1)
    enc, dec = build_models(ModelConfig(image_size=32))
    ddp = nn.parallel.DistributedDataParallel
    step(ddp(enc), ddp(dec), images[rank * 4:(rank + 1) * 4])
    torch.save(weights(enc, dec), out / f"rank{rank}.pt")
    if rank == 0:
        torch.manual_seed(1)
        enc, dec = build_models(ModelConfig(image_size=32))
        step(enc, dec, images)
        torch.save(weights(enc, dec), out / "single.pt")
    sys.argv = ["tutorial_utils", *sys.argv[2:]]
    runpy.run_module("tutorial_utils", run_name="__main__")


# the index's reader processes start from a clean process, which imports this script: only torchrun's run it
if __name__ == "__main__":
    main()
'''
