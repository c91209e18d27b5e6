from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tutorial_utils.data import (
    FolderDataset,
    ImageReadError,
    image_to_tensor,
    read_labels,
    split_indices,
    to_rgb,
    train_val_split,
)

from .conftest import distinct_image, make_folder, write_huge_png


def _rgba_half_transparent() -> Image.Image:
    """Left half opaque red; right half fully transparent but holding black (as many PNGs do)."""
    img = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    for x in range(2):
        for y in range(4):
            img.putpixel((x, y), (255, 0, 0, 255))
    return img


def test_rgba_transparent_becomes_white_not_black():
    img = _rgba_half_transparent()
    assert img.convert("RGB").getpixel((3, 0)) == (0, 0, 0)  # the original tutorial's bug
    rgb = to_rgb(img)
    assert rgb.mode == "RGB"
    assert rgb.getpixel((3, 0)) == (255, 255, 255)
    assert rgb.getpixel((0, 0)) == (255, 0, 0)


def test_rgba_half_alpha_blends_with_white():
    img = Image.new("RGBA", (2, 2), (0, 0, 0, 128))
    assert to_rgb(img).getpixel((0, 0)) == (127, 127, 127)


def test_la_transparent_becomes_white():
    img = Image.new("LA", (2, 2), (0, 0))
    img.putpixel((0, 0), (50, 255))
    rgb = to_rgb(img)
    assert rgb.getpixel((1, 1)) == (255, 255, 255)
    assert rgb.getpixel((0, 0)) == (50, 50, 50)


def test_palette_with_transparency_becomes_white(tmp_path: Path):
    img = Image.new("P", (2, 2), 0)
    img.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    img.putpixel((0, 0), 1)
    img.info["transparency"] = 0
    path = tmp_path / "p.png"
    img.save(path, transparency=0)
    rgb = to_rgb(Image.open(path))
    assert rgb.getpixel((1, 1)) == (255, 255, 255)
    assert rgb.getpixel((0, 0)) == (0, 200, 0)


def test_grey_l_mode_becomes_grey_rgb():
    assert to_rgb(Image.new("L", (2, 2), 77)).getpixel((0, 0)) == (77, 77, 77)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path):
    arr = np.array([[0, 65535], [32896, 1000]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(arr).save(path)
    img = Image.open(path)
    assert img.mode.startswith("I")
    rgb = to_rgb(img)
    assert rgb.getpixel((0, 0)) == (0, 0, 0)
    assert rgb.getpixel((1, 0)) == (255, 255, 255)
    assert rgb.getpixel((0, 1)) == (128, 128, 128)  # Pillow's convert("L") would clip this to 255
    assert rgb.getpixel((1, 1)) == (4, 4, 4)


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(path)  # pure red in CMYK
    r, g, b = to_rgb(Image.open(path)).getpixel((4, 4))
    assert r > 230
    assert g < 30
    assert b < 30


def test_exif_orientation_is_applied(tmp_path: Path):
    img = Image.new("RGB", (4, 2), (0, 0, 255))
    img.putpixel((0, 0), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif.tobytes(), quality=100)
    out = to_rgb(Image.open(path))
    assert out.size == (2, 4)


def test_dataset_reads_sorted_returns_pairs_and_paths(image_folder: Path):
    ds = FolderDataset(image_folder, image_size=32)
    assert len(ds) == 12
    assert [p.name for p in ds.paths] == sorted(p.name for p in image_folder.iterdir())
    x, y = ds[3]
    assert x.shape == (3, 32, 32)
    assert x.dtype == torch.float32
    assert torch.equal(x, y)
    assert ds.path(3).name == "img_003.png"
    expected = torch.from_numpy(np.array(distinct_image(3))).permute(2, 0, 1).float() / 255
    assert torch.allclose(x, expected)


def test_cache_and_no_cache_give_the_same_tensors(image_folder: Path):
    a, b = FolderDataset(image_folder, 32, cache=True), FolderDataset(image_folder, 32, cache=False)
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(len(a)))


def test_images_of_other_sizes_are_resized_so_batches_stack(tmp_path: Path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("RGB", (100, 40), (10, 20, 30)).save(folder / "wide.png")
    Image.new("RGBA", (17, 90), (0, 0, 0, 0)).save(folder / "tall.png")
    Image.new("L", (64, 64), 3).save(folder / "grey.jpg")
    ds = FolderDataset(folder, image_size=64)
    batch = torch.stack([ds[i][0] for i in range(len(ds))])
    assert batch.shape == (3, 3, 64, 64)
    tall = ds[ds.relative_paths.index("tall.png")][0]
    assert torch.all(tall == 1.0)  # transparent -> white, padding white


def test_subfolders_are_read_with_relative_names(tmp_path: Path):
    make_folder(tmp_path / "root" / "b", n=2)
    make_folder(tmp_path / "root" / "a", n=2)
    ds = FolderDataset(tmp_path / "root", 32)
    assert ds.relative_paths == ["a/img_000.png", "a/img_001.png", "b/img_000.png", "b/img_001.png"]


def test_non_image_files_are_ignored(image_folder: Path):
    (image_folder / "notes.txt").write_text("not an image")
    (image_folder / "labels.csv").write_text("file,category\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = FolderDataset(image_folder, 32)
    assert len(ds) == 12


def test_corrupt_image_is_skipped_with_one_clean_line_naming_it(image_folder: Path, caplog):
    (image_folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log line, not a Python warning with a source line
        ds = FolderDataset(image_folder, 32)
    assert len(ds) == 12
    assert [p.name for p, _ in ds.skipped] == ["broken.png"]
    assert caplog.messages == ["skipped broken.png: not an image (no decoder recognises its bytes)"]


def test_hostile_files_are_skipped_before_decoding_each_with_its_reason(image_folder: Path, caplog):
    write_huge_png(image_folder / "bomb.png", 20000, 20000)
    write_huge_png(image_folder / "wide.png", 12000, 5000)  # 60 MP: under Pillow's limit, over ours
    png = io.BytesIO()
    distinct_image(5, 64).save(png, format="PNG")
    (image_folder / "cut.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    (image_folder / "notes.jpg").write_text("a text file with an image extension")
    for cache in (True, False):
        caplog.clear()
        ds = FolderDataset(image_folder, 32, cache=cache)
        assert len(ds) == 12 + (not cache)
        reasons = {p.name: why.split(" (")[0] for p, why in ds.skipped}
        expected = {"bomb.png": "too large", "wide.png": "too large", "notes.jpg": "not an image"}
        if cache:  # only decoding finds a truncated file; cache=False reads headers alone
            expected["cut.png"] = "truncated"
        assert reasons == expected
        assert len(caplog.messages) == len(expected)
        assert all(m.startswith("skipped ") for m in caplog.messages)
    with pytest.raises(ImageReadError, match=r"cut\.png: truncated"):
        ds[ds.paths.index(image_folder / "cut.png")]


def test_truncated_image_is_reported(image_folder: Path):
    buf = io.BytesIO()
    distinct_image(1, 64).save(buf, format="JPEG")
    (image_folder / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    with pytest.raises(ImageReadError, match=r"cut\.jpg"):
        FolderDataset(image_folder, 32, strict=True)


def test_strict_mode_raises_naming_the_file(image_folder: Path):
    (image_folder / "broken.png").write_bytes(b"garbage")
    with pytest.raises(ImageReadError, match=r"broken\.png: not an image"):
        FolderDataset(image_folder, 32, strict=True)


def test_empty_folder_is_a_clear_error(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty: no image files found"):
        FolderDataset(tmp_path / "empty")


def test_folder_without_images_is_a_clear_error(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.md").write_text("hello")
    with pytest.raises(ValueError, match=r"docs: no image files found"):
        FolderDataset(tmp_path / "docs")


def test_folder_of_only_broken_images_is_a_clear_error(tmp_path: Path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"nope")
    with pytest.raises(ValueError, match=r"none of the 1 image files"):
        FolderDataset(tmp_path / "bad")


def test_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        FolderDataset(tmp_path / "nowhere")


def test_split_is_seeded_disjoint_and_complete():
    train, val = split_indices(100, 0.25, seed=1)
    assert len(val) == 25
    assert len(train) == 75
    assert sorted(train + val) == list(range(100))
    assert (train, val) == split_indices(100, 0.25, seed=1)
    assert val != split_indices(100, 0.25, seed=2)[1]


def test_train_val_split_of_a_dataset(image_folder: Path):
    ds = FolderDataset(image_folder, 32)
    train, val = train_val_split(ds, 0.25, seed=0)
    assert len(train) == 9
    assert len(val) == 3
    assert not set(train.indices) & set(val.indices)


def test_load_image_accepts_paths_pil_and_tensors(image_folder: Path):
    path = image_folder / "img_000.png"
    a = image_to_tensor(path, 32)
    b = image_to_tensor(Image.open(path).convert("RGBA").resize((80, 80)), 32)
    c = image_to_tensor(torch.rand(3, 50, 70), 32)
    assert a.shape == b.shape == c.shape == (3, 32, 32)
    with pytest.raises(ValueError, match="expected a"):
        image_to_tensor(torch.rand(1, 3, 32, 32), 32)


def test_read_labels_in_file_order_and_reports_missing(tmp_path: Path):
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("file,name,category\nb.png,bee,animal\na.png,apple,food\n")
    assert read_labels(csv_path, ["a.png", "b.png"]) == ["food", "animal"]
    with pytest.raises(ValueError, match=r"labels\.csv: no label for 1 file\(s\), e\.g\. c\.png"):
        read_labels(csv_path, ["a.png", "c.png"])
