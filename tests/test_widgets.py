"""The explorer and the reconstruction viewer, driven through their widgets and methods, without a browser."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tutorial_utils.embeddings import Embedder, EmbeddingIndex
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.search import SimilarityIndex
from tutorial_utils.widgets import (
    NeighbourExplorer,
    png_bytes,
    pooled_searcher,
    read_upload,
    read_variants,
    reconstruction_viewer,
)

from .conftest import distinct_image

pytest.importorskip("ipywidgets")

CONFIG = ModelConfig(image_size=32)


@pytest.fixture
def explorer(image_folder: Path, tmp_path: Path) -> NeighbourExplorer:
    torch.manual_seed(0)
    encoder, decoder = build_models(CONFIG)
    embedder = Embedder(encoder, CONFIG.image_size)
    files = sorted(p.name for p in image_folder.glob("*.png"))
    index = EmbeddingIndex.build(embedder([image_folder / f for f in files]), image_folder, files)
    flat = SimilarityIndex(index, embedder)
    variants = tmp_path / "queries" / "images"
    variants.mkdir(parents=True)
    distinct_image(4).rotate(90).save(variants / "v4.png")
    (tmp_path / "queries" / "labels.csv").write_text("file,name,skin_tone,base_file\nv4.png,four,dark,img_004.png\n")
    return NeighbourExplorer(
        {"flatten": flat, "avg": pooled_searcher(flat, CONFIG.embedding_shape)},
        [f"emoji {i}" for i in range(len(files))],
        variants=variants,
        decoders={"flatten": decoder},
        k=3,
    )


def neighbour_count(explorer: NeighbourExplorer) -> int:
    return len(explorer.neighbours.children)


def encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_starts_on_the_first_emoji_and_k_redraws(explorer: NeighbourExplorer):
    assert explorer.query.row == 0
    assert neighbour_count(explorer) == 3
    assert 0 not in explorer.results.indices  # an indexed query leaves itself out
    explorer.k.value = 5
    assert neighbour_count(explorer) == 5
    assert len(explorer.results.indices) == 5


def test_choosing_an_emoji_by_name_searches_with_it(explorer: NeighbourExplorer):
    before = explorer.query_picture.value
    explorer.emoji.value = explorer.labels[7]
    assert explorer.query.row == 7
    assert 7 not in explorer.results.indices
    assert explorer.query_picture.value != before
    expected = explorer.searcher().search_indexed(7, k=3)[0]
    assert explorer.results.indices == expected.indices


def test_a_neighbour_button_makes_it_the_next_query(explorer: NeighbourExplorer):
    first = explorer.results.indices[0]
    explorer.neighbours.children[0].children[2].click()
    assert explorer.query.row == first
    assert explorer.emoji.value == explorer.labels[first]


def test_metric_and_embedding_switch_the_searcher(explorer: NeighbourExplorer):
    explorer.metric.value = "euclidean"
    assert explorer.searcher().metric == "euclidean"
    direct = SimilarityIndex(explorer.searchers[("flatten", "cosine")].index, metric="euclidean")
    assert explorer.results.indices == direct.search_indexed(0, k=3)[0].indices
    placeholder = explorer.reconstruction.value
    explorer.embedding.value = "avg"
    assert explorer.searcher().index.embeddings.shape[1] == CONFIG.embedding_shape[0]
    assert explorer.reconstruction.value != placeholder  # no decoder for "avg": the grey placeholder instead


def test_pooled_rows_equal_pooling_the_encoder_output(image_folder: Path):
    torch.manual_seed(1)
    encoder, _ = build_models(CONFIG)
    files = sorted(p.name for p in image_folder.glob("*.png"))
    flat = SimilarityIndex(
        EmbeddingIndex.build(Embedder(encoder, 32)([image_folder / f for f in files]), image_folder, files),
        Embedder(encoder, 32),
    )
    avg = pooled_searcher(flat, CONFIG.embedding_shape)
    direct = Embedder(encoder, 32, pooling="avg")([image_folder / f for f in files])
    np.testing.assert_allclose(avg.index.embeddings, direct, rtol=1e-5, atol=1e-6)
    assert avg.embedder.pooling == "avg"


def test_a_variant_is_searched_without_leaving_anything_out(explorer: NeighbourExplorer):
    (label,) = explorer.variant_paths
    explorer.variant.value = label
    assert explorer.query.row is None
    assert explorer.query.label == f"variant: {label}"
    assert neighbour_count(explorer) == 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: encoded(Image.new("CMYK", (3000, 200), (0, 200, 200, 0)), "JPEG", quality=90),
        lambda: encoded(Image.new("RGBA", (50, 40), (255, 0, 0, 0)), "PNG"),
        lambda: encoded(Image.new("I;16", (20, 20), 40000), "PNG"),
    ],
    ids=["cmyk-jpeg-3000x200", "transparent-png", "16-bit-grey-png"],
)
def test_an_uploaded_image_of_any_mode_gives_neighbours(explorer: NeighbourExplorer, make):
    explorer.query_upload("mine.img", make())
    assert explorer.error == ""
    assert explorer.query.row is None
    assert explorer.query.label.startswith("upload: mine.img")
    assert neighbour_count(explorer) == 3


def test_an_upload_through_the_widget_value_is_searched(explorer: NeighbourExplorer):
    content = encoded(distinct_image(5), "PNG")
    explorer.upload.value = (
        {
            "name": "five.png",
            "type": "image/png",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.datetime.now(datetime.timezone.utc),
        },
    )
    assert explorer.query.label.startswith("upload: five.png")
    assert explorer.results.indices[0] == 5  # its own picture is in the index


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (encoded(distinct_image(3), "PNG")[:60], "truncated"),
        (b"hello, I am text", "not an image"),
        (b"", "not an image"),
    ],
    ids=["truncated-png", "text", "empty"],
)
def test_a_broken_upload_gives_a_message_and_changes_nothing(explorer: NeighbourExplorer, content, reason):
    before = (explorer.query, explorer.results.indices, explorer.query_picture.value)
    explorer.query_upload("broken.png", content)
    assert f"could not use broken.png: {reason}" in explorer.message.value
    assert (explorer.query, explorer.results.indices, explorer.query_picture.value) == before
    explorer.emoji.value = explorer.labels[2]  # the next good query clears the message
    assert explorer.message.value == ""


def test_read_upload_refuses_a_bomb_before_decoding(tmp_path: Path):
    from .conftest import write_huge_png

    data = write_huge_png(tmp_path / "bomb.png", 20000, 20000).read_bytes()
    with pytest.raises(Exception, match=r"bomb\.png: too large"):
        read_upload("bomb.png", data)


def test_read_variants_labels_each_file(tmp_path: Path):
    folder = tmp_path / "images"
    folder.mkdir()
    distinct_image(0).save(folder / "a.png")
    (tmp_path / "labels.csv").write_text("file,name,skin_tone\na.png,waving hand,dark\nmissing.png,x,light\n")
    assert read_variants(folder) == [("waving hand, dark (a.png)", folder / "a.png")]


def test_reconstruction_viewer_shows_the_chosen_epoch():
    snapshots = {
        "original": torch.zeros(2, 3, 8, 8),
        "epoch 1": torch.full((2, 3, 8, 8), 0.5),
        "epoch 2": torch.ones(2, 3, 8, 8),
    }
    box = reconstruction_viewer(snapshots)
    slider, _, picture = box.children
    first = picture.value
    slider.value = "epoch 2"
    assert picture.value != first
    assert Image.open(io.BytesIO(picture.value)).size == (44, 44)  # 2 x 2 images of 8 px, 2 px padding, doubled
    with pytest.raises(ValueError, match="at least one epoch"):
        reconstruction_viewer({"original": snapshots["original"]})


def test_png_bytes_round_trips_a_tensor():
    image = torch.rand(3, 5, 7)
    back = np.asarray(Image.open(io.BytesIO(png_bytes(image))))
    np.testing.assert_array_equal(back, (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def test_short_names_end_at_a_word():
    from tutorial_utils.widgets import short_name

    assert short_name("grinning face") == "grinning face"
    assert short_name("smiling cat face with open mouth") == "smiling cat face with…"
    assert short_name("flag: United States Outlying Islands") == "flag: United States…"
    assert short_name("abcdefghijklmnopqrstuvwxyz") == "abcdefghijklmnopqrstuvw…"  # one long word: cut, marked
    assert all(len(short_name(n)) <= 24 for n in ("a " * 30, "x" * 40, "mouth with open smile and tears of joy"))
