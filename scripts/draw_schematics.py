"""Draw the lesson's four schematics as SVG files in notebooks/figures/ (the notebooks show them in markdown).

    python scripts/draw_schematics.py [--out notebooks/figures] [--png /tmp/preview]

- autoencoder.svg: the encoder and decoder as blocks with their tensor shapes, and the MSE between input
  and reconstruction (notebooks 02 and 03);
- nearest-neighbours.svg: a query among the points of an embedding space, its 5 nearest by cosine distance,
  and the angle the cosine measures (notebook 05);
- triplet.svg: anchor, positive and negative before and after training with the triplet loss (notebook 07);
- simclr-views.svg: one image, two random views, one shared encoder and projection head, NT-Xent (notebook 09).

The shapes and numbers come from the package (tutorial_utils.models, the shipped autoencoder, SimCLR's
settings), and the emoji are real ones from data/emoji. The output is deterministic for a given matplotlib
version: text is drawn as paths (no font needed to view it), no date, fixed ids. Each file carries a <title>
and a <desc> for screen readers. ``--png`` also writes PNG previews to look at.
"""

from __future__ import annotations

import argparse
import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patches

from tutorial_utils.checkpoints import load_checkpoint
from tutorial_utils.data import image_to_tensor
from tutorial_utils.models import ModelConfig, build_models
from tutorial_utils.paths import DEFAULT_DATA, REFERENCE_CHECKPOINT
from tutorial_utils.selfsup.augment import random_views
from tutorial_utils.selfsup.contrastive import ContrastiveSettings

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "notebooks" / "figures"
WIDTH = 720  # points; one point is one SVG user unit, so a figure shown 700 px wide keeps text at its size

BLUE, GREEN, ORANGE, RED, GREY, INK = "#3b6fb6", "#3f9b57", "#e8890c", "#d1443b", "#9aa3ad", "#222222"
PALE_BLUE, PALE_GREEN, PALE_ORANGE, PALE_RED = "#dbe7f6", "#dcefe1", "#fdebcf", "#f9dedc"


def setup() -> None:
    plt.rcParams.update(
        {
            "svg.fonttype": "path",  # text as outlines: looks the same without any font installed
            "svg.hashsalt": "tutorial-schematics",  # fixed ids, so the same drawing gives the same file
            "font.family": "DejaVu Sans",  # ships with matplotlib
            "font.size": 12,
            "mathtext.fontset": "dejavusans",
            "text.color": INK,
            "axes.unicode_minus": True,
        }
    )


def canvas(height: float) -> tuple[plt.Figure, plt.Axes]:
    """A figure WIDTH x height points whose data coordinates are points, origin bottom left, no axes drawn."""
    fig = plt.figure(figsize=(WIDTH / 72, height / 72), dpi=72)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def emoji(name: str) -> torch.Tensor:
    """A shipped emoji as the lesson reads it: (3, 64, 64) in [0, 1], transparency onto white."""
    return image_to_tensor(DEFAULT_DATA / name, 64)


def show_image(ax: plt.Axes, image: torch.Tensor, x: float, y: float, size: float, frame: str = GREY) -> None:
    """Draw a (3, H, W) image centred on (x, y), ``size`` points wide, in a thin frame."""
    half = size / 2
    ax.imshow(
        image.permute(1, 2, 0).clamp(0, 1).numpy(),
        extent=(x - half, x + half, y - half, y + half),
        interpolation="none",
        zorder=3,
    )  # "none": the 64x64 pixels go into the file as they are
    ax.add_patch(patches.Rectangle((x - size / 2, y - size / 2), size, size, fill=False, ec=frame, lw=1, zorder=4))


def arrow(
    ax: plt.Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    color: str = INK,
    lw: float = 1.6,
    style: str = "-|>",
    rad: float = 0.0,
    **kwargs,
) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        zorder=5,
        arrowprops=dict(
            arrowstyle=style,
            color=color,
            lw=lw,
            shrinkA=0,
            shrinkB=0,
            mutation_scale=14,
            connectionstyle=f"arc3,rad={rad}",
            **kwargs,
        ),
    )


# --- 1. the autoencoder ---------------------------------------------------------------------------------------


def cuboid(ax: plt.Axes, x: float, y: float, side: int, channels: int, face: str, edge: str) -> None:
    """A feature map channels x side x side as a box centred on (x, y).

    Height (and the oblique depth) grow with the side, thickness with log2(channels): drawn to show the
    trend, not to scale.
    """
    h = 11 * math.sqrt(side)
    t = 5 * (math.log2(channels) - 3)
    o = 0.45 * h  # oblique offset of the depth (the second spatial axis)
    x0, y0 = x - (t + o) / 2, y - (h + o) / 2
    front = [(x0, y0), (x0 + t, y0), (x0 + t, y0 + h), (x0, y0 + h)]
    top = [(x0, y0 + h), (x0 + t, y0 + h), (x0 + t + o, y0 + h + o), (x0 + o, y0 + h + o)]
    right = [(x0 + t, y0), (x0 + t + o, y0 + o), (x0 + t + o, y0 + h + o), (x0 + t, y0 + h)]
    for poly, shade in ((right, 0.84), (top, 0.93), (front, 1.0)):
        rgb = np.array(matplotlib.colors.to_rgb(face)) * shade
        ax.add_patch(patches.Polygon(poly, closed=True, fc=rgb, ec=edge, lw=1, zorder=3))


def shape_label(c: int, s: int) -> str:
    return f"{c}×{s}×{s}"


def draw_autoencoder() -> plt.Figure:
    config = ModelConfig()  # 64 px, channels 16..256: what notebooks 02-09 use
    encoder, decoder = build_models(config)
    side, widths = config.image_size, config.channels
    # every shape below is measured by running the real model, not typed in
    shapes, x = [], torch.zeros(1, 3, side, side)
    with torch.no_grad():
        for layer in encoder.layers:
            x = layer(x)
            if isinstance(layer, torch.nn.ReLU):
                shapes.append(tuple(x.shape[1:]))
        dec_shapes = []
        for layer in decoder.layers:
            x = layer(x)
            if isinstance(layer, torch.nn.ConvTranspose2d):
                dec_shapes.append(tuple(x.shape[1:]))
    assert shapes[-1] == config.embedding_shape
    assert len(shapes) == len(dec_shapes) == len(widths) == 5
    assert dec_shapes[-1] == (3, side, side)

    image = emoji("1f63a.png")  # smiling cat face
    trained, trained_decoder, _, _ = load_checkpoint(REFERENCE_CHECKPOINT, expect=config)
    with torch.no_grad():
        reconstruction = trained_decoder.eval()(trained.eval()(image[None]))[0]
    mse = float(((image - reconstruction) ** 2).mean())

    fig, ax = canvas(430)
    cols = [62, 182, 296, 404, 506, 630]
    top, bottom, mid = 312, 112, 212
    ax.text(
        16,
        412,
        "Encoder: five blocks of conv 3×3 → ReLU → max-pool 2; each halves the side",
        fontsize=12.5,
        color=BLUE,
        fontweight="bold",
        va="center",
    )
    ax.text(
        16,
        16,
        "Decoder: five transposed convs 2×2, stride 2, with ReLU between; each doubles the side",
        fontsize=12.5,
        color=GREEN,
        fontweight="bold",
        va="center",
    )

    # input and reconstruction, one above the other, so the loss compares them
    size = 78
    show_image(ax, image, cols[0], top, size)
    show_image(ax, reconstruction, cols[0], bottom, size)
    ax.text(cols[0], top + size / 2 + 6, "input x", ha="center", va="bottom", fontsize=12.5)
    ax.text(cols[0], top - size / 2 - 8, "3×64×64", ha="center", va="top", fontsize=11)
    ax.text(cols[0], bottom - size / 2 - 8, "3×64×64", ha="center", va="top", fontsize=11)
    ax.text(cols[0], bottom - size / 2 - 26, "reconstruction x̂", ha="center", va="top", fontsize=12.5)

    # the loss between them
    arrow(ax, (cols[0], top - size / 2 - 26), (cols[0], bottom + size / 2 + 4), color=RED, lw=1.8, style="<|-|>")
    ax.text(
        cols[0] + 12,
        mid + 10,
        r"loss = $\mathrm{MSE}(x, \hat{x}) = "
        r"\dfrac{1}{n}\sum_{i=1}^{n}\,(x_i - \hat{x}_i)^2$",
        fontsize=14,
        color=RED,
        va="center",
    )
    ax.text(
        cols[0] + 12,
        mid - 26,
        f"n = 3·64·64 = {3 * side * side:,} values; for this cat the trained model's loss is {mse:.4f}",
        fontsize=11,
        color=RED,
        va="center",
    )

    # encoder row, left to right
    for i, (c, s, _) in enumerate(shapes[:-1], start=1):
        cuboid(ax, cols[i], top, s, c, PALE_BLUE, BLUE)
        ax.text(cols[i], top - 52, shape_label(c, s), ha="center", va="top", fontsize=11)
    # the embedding, between the rows
    c, s, _ = shapes[-1]
    cuboid(ax, cols[5], mid, s, c, "#ffd79a", ORANGE)
    ax.add_patch(
        patches.FancyBboxPatch(
            (cols[5] - 58, mid - 58),
            116,
            116,
            boxstyle="round,pad=0,rounding_size=12",
            fc=PALE_ORANGE,
            ec=ORANGE,
            lw=2,
            zorder=1,
        )
    )
    ax.text(cols[5], mid + 42, "embedding", ha="center", va="center", fontsize=12.5, fontweight="bold", color=ORANGE)
    ax.text(cols[5], mid - 30, shape_label(c, s), ha="center", va="center", fontsize=11)
    ax.text(cols[5], mid - 46, f"= {c * s * s:,} values", ha="center", va="center", fontsize=11)

    # decoder row, right to left: under each encoder block the decoder block of the same shape
    for i, (c, s, _) in enumerate(dec_shapes[:-1], start=1):
        col = cols[5 - i]
        cuboid(ax, col, bottom, s, c, PALE_GREEN, GREEN)
        ax.text(col, bottom - 52, shape_label(c, s), ha="center", va="top", fontsize=11)

    gap = 30
    for i in range(4):  # input -> block 1 -> ... -> block 4
        a = cols[i] + (size / 2 + 6 if i == 0 else gap)
        arrow(ax, (a, top), (cols[i + 1] - gap, top), color=BLUE)
    arrow(ax, (cols[4] + gap, top), (cols[5] - 20, mid + 62), color=BLUE, rad=-0.25)  # block 5 -> embedding
    arrow(ax, (cols[5] - 20, mid - 62), (cols[4] + gap, bottom), color=GREEN, rad=-0.25)  # embedding -> 128x4x4
    for i in range(4, 0, -1):
        b = cols[i - 1] + (size / 2 + 6 if i == 1 else gap)
        arrow(ax, (cols[i] - gap, bottom), (b, bottom), color=GREEN)
    ax.text((cols[0] + cols[1]) / 2 + 12, bottom + 12, "Sigmoid", ha="center", va="bottom", fontsize=11, color=GREEN)
    return fig


AUTOENCODER = (
    "The lesson's autoencoder: five encoder blocks squeeze a 3×64×64 image into a 256×2×2 embedding, "
    "five decoder blocks rebuild it",
    "Top row, left to right: the input x, an emoji of a smiling cat (3×64×64), then encoder blocks, each a 3×3 "
    "convolution, a ReLU and a 2×2 max-pool that halves the side: 16×32×32, 32×16×16, 64×8×8, 128×4×4 and, "
    "highlighted at the right, the embedding 256×2×2 = 1,024 values. Bottom row, right to left: transposed "
    "convolutions (kernel 2, stride 2) double the side again: 128×4×4, 64×8×8, 32×16×16, 16×32×32 and 3×64×64, "
    "with a Sigmoid at the end, giving the reconstruction x̂, a blurred cat drawn under the input. A red arrow "
    "between input and reconstruction marks the loss: MSE(x, x̂) = (1/n) Σ (x_i − x̂_i)², the mean over the "
    "n = 3·64·64 = 12,288 values.",
)


# --- 2. nearest neighbours ------------------------------------------------------------------------------------


def draw_nearest_neighbours() -> plt.Figure:
    # an embedding space sketched in 2-D (the lesson's embeddings come out of a ReLU, so they are >= 0)
    q_angle, q_length = 48.0, 0.72
    near = [(5, 0.55), (-6, 0.98), (9, 1.08), (-10, 0.38), (0, 2 * q_length)]  # (angle from q, length)
    decoy = (-17.0, 0.72)  # close to q as the crow flies, but at a wider angle
    scale, ox, oy = 265, 40, 40  # units -> points; where the origin is
    labels = [(206, 84, 330, 150), (176, 208, 262, 236)]  # (x0, y0, x1, y1) in points: kept free for text
    rng = np.random.default_rng(7)
    background = []
    while len(background) < 46:
        angle, length = rng.uniform(8, 88), rng.uniform(0.25, 1.3)
        x, y = ox + scale * length * np.cos(np.radians(angle)), oy + scale * length * np.sin(np.radians(angle))
        free = not any(x0 - 8 < x < x1 + 8 and y0 - 8 < y < y1 + 8 for x0, y0, x1, y1 in labels)
        if abs(angle - q_angle) > 15 and free:  # keep the wedge around q for its neighbours, and the labels clear
            background.append((angle - q_angle, length))
    polar = [*near, decoy, *background]
    points = np.array([[r * np.cos(np.radians(q_angle + a)), r * np.sin(np.radians(q_angle + a))] for a, r in polar])
    query = q_length * np.array([np.cos(np.radians(q_angle)), np.sin(np.radians(q_angle))])
    cos = points @ query / (np.linalg.norm(points, axis=1) * np.linalg.norm(query))
    nearest = np.argsort(1 - cos, kind="stable")[:5]
    assert sorted(nearest) == list(range(len(near))), "the drawn neighbours are the 5 nearest by cosine"
    euclid = np.linalg.norm(points - query, axis=1)
    assert euclid[len(near)] < euclid[3], "the decoy is nearer than a neighbour by Euclidean distance"

    fig, ax = canvas(430)
    px = lambda p: (ox + scale * p[..., 0], oy + scale * p[..., 1])  # noqa: E731

    arrow(ax, (ox, oy), (ox + 360, oy), color=GREY, lw=1.2)
    arrow(ax, (ox, oy), (ox, oy + 375), color=GREY, lw=1.2)
    ax.text(ox + 360, oy - 7, "dimension 1", ha="right", va="top", fontsize=11, color="#555555")
    ax.text(ox - 7, oy + 375, "dimension 2", ha="right", va="top", fontsize=11, color="#555555", rotation=90)
    ax.text(ox - 6, oy - 6, "0", ha="right", va="top", fontsize=12)

    # the narrowest wedge around q's direction that holds its 5 nearest
    half = max(abs(a) for a, _ in near) + 1.5
    ax.add_patch(patches.Wedge((ox, oy), 420, q_angle - half, q_angle + half, fc=PALE_ORANGE, ec="none", zorder=0))

    others = np.setdiff1d(np.arange(len(points)), nearest)
    ax.scatter(*px(points[others]), s=38, c=GREY, ec="white", lw=0.6, zorder=3)
    ax.scatter(*px(points[nearest]), s=42, c=BLUE, ec="white", lw=0.6, zorder=4)
    ax.scatter(*px(points[nearest]), s=300, facecolors="none", edgecolors=BLUE, lw=1.6, zorder=4)
    qx, qy = px(query)

    # q's vector, the widest neighbour's vector, and the angle between them
    widest = 2  # the neighbour at 9 degrees, long enough to show the angle clearly
    nx, ny = px(points[widest])
    arrow(ax, (ox, oy), (nx, ny), color=BLUE, lw=1.6)
    arrow(ax, (ox, oy), (qx, qy), color=RED, lw=1.8)
    ax.scatter([qx], [qy], s=330, marker="*", c=RED, ec="white", lw=0.8, zorder=6)
    a0, a1 = q_angle + near[widest][0], q_angle
    ax.add_patch(patches.Arc((ox, oy), 190, 190, theta1=min(a0, a1), theta2=max(a0, a1), color=INK, lw=1.4, zorder=5))
    mid_angle = np.radians((a0 + a1) / 2)
    ax.text(ox + 110 * np.cos(mid_angle), oy + 110 * np.sin(mid_angle), "θ", fontsize=15, ha="center", va="center")
    ax.text(qx + 14, qy - 6, "query q", color=RED, fontsize=12.5, fontweight="bold", va="top")
    ax.text(nx + 12, ny - 4, "v", color=BLUE, fontsize=14, fontweight="bold", va="top", style="italic")
    tx, ty = px(points[len(near) - 1])
    ax.text(
        tx + 16,
        ty,
        "twice as long as q,\nsame direction:\ncosine distance 0",
        fontsize=10.5,
        va="center",
        color=BLUE,
        linespacing=1.15,
    )
    dx, dy = px(points[len(near)])
    ax.text(
        dx + 12,
        dy - 6,
        "near q, but at a\nwider angle: not\none of the 5",
        fontsize=10.5,
        va="top",
        ha="left",
        color="#555555",
        linespacing=1.15,
    )
    ax.scatter([dx], [dy], s=60, facecolors="none", edgecolors="#555555", lw=1.2, zorder=4)

    # the explanation, at the right
    x0 = 446
    for y, draw, label in (
        (404, "star", "the query's embedding"),
        (378, "ring", "its k = 5 nearest by cosine"),
        (352, "dot", "other images' embeddings"),
    ):
        if draw == "star":
            ax.scatter([x0 + 8], [y], s=220, marker="*", c=RED, ec="white", zorder=6)
        elif draw == "ring":
            ax.scatter([x0 + 8], [y], s=42, c=BLUE, zorder=6)
            ax.scatter([x0 + 8], [y], s=220, facecolors="none", edgecolors=BLUE, lw=1.5, zorder=6)
        else:
            ax.scatter([x0 + 8], [y], s=38, c=GREY, zorder=6)
        ax.text(x0 + 26, y, label, va="center", fontsize=12)
    ax.text(x0 - 4, 296, r"$\cos\theta = \dfrac{q \cdot v}{\Vert q\Vert \, \Vert v\Vert}$", fontsize=15, va="center")
    ax.text(x0 - 4, 246, r"cosine distance = $1 - \cos\theta$", fontsize=14, va="center")
    ax.text(x0 - 4, 198, "Cosine ignores the vector's length:", fontsize=12, va="center", fontweight="bold")
    ax.text(
        x0 - 4,
        184,
        "it compares directions only, so the\n"
        "5 nearest fill the narrowest wedge\n"
        "around q, whether they lie near\n"
        "the origin or far out. Euclidean\n"
        "distance would pick the points\n"
        "nearest to the star instead.",
        fontsize=12,
        va="top",
        linespacing=1.3,
    )
    return fig


NEAREST = (
    "Nearest neighbours by cosine distance: a query among the points of an embedding space, its 5 nearest "
    "and the angle between two vectors",
    "A two-dimensional sketch of an embedding space, origin at the bottom left, with about fifty grey points. "
    "A red star is the query q, with an arrow from the origin. Its five nearest neighbours by cosine distance "
    "are circled in blue and lie in a narrow shaded wedge around the query's direction; one of them lies twice "
    "as far out as q in exactly its direction and has cosine distance 0. A point close to the star but at a "
    "wider angle is not one of the five. The angle θ between q and a neighbour's vector v is marked. Text: "
    "cos θ = q·v / (‖q‖ ‖v‖); cosine distance = 1 − cos θ; cosine ignores the vector's length and compares "
    "directions only.",
)


# --- 3. the triplet loss --------------------------------------------------------------------------------------


def emoji_marker(ax: plt.Axes, image: torch.Tensor, x: float, y: float, edge: str, face: str) -> None:
    """An emoji as a point of the embedding space: a small disc in the point's colour, the emoji on it."""
    ax.add_patch(patches.Circle((x, y), 17, fc=face, ec=edge, lw=2, zorder=5))
    ax.imshow(image.permute(1, 2, 0).numpy(), extent=(x - 12, x + 12, y - 12, y + 12), interpolation="none", zorder=6)


def triplet_panel(
    ax: plt.Axes,
    cx: float,
    cy: float,
    d_ap: float,
    d_an: float,
    margin: float,
    title: str,
    scale: float,
    moves: bool,
    images: dict[str, torch.Tensor],
) -> None:
    """Anchor at (cx, cy); rings at d(a, p) and d(a, p) + m; a negative inside the outer ring still costs loss."""
    loss = max(0.0, d_ap - d_an + margin)
    ax.text(cx, 384, title, ha="center", va="center", fontsize=14, fontweight="bold")
    r_p, r_m, r_n = d_ap * scale, (d_ap + margin) * scale, d_an * scale
    ax.add_patch(patches.Annulus((cx, cy), r_m, r_m - r_p, fc=PALE_RED, ec="none", zorder=0))
    ax.add_patch(patches.Circle((cx, cy), r_p, fill=False, ec=BLUE, lw=1.2, ls=(0, (4, 3)), zorder=1))
    ax.add_patch(patches.Circle((cx, cy), r_m, fill=False, ec=RED, lw=1.2, ls=(0, (4, 3)), zorder=1))
    p_dir, n_dir = np.radians(160), np.radians(20)
    p = np.array([cx + r_p * np.cos(p_dir), cy + r_p * np.sin(p_dir)])
    n = np.array([cx + r_n * np.cos(n_dir), cy + r_n * np.sin(n_dir)])
    ax.plot([cx, p[0]], [cy, p[1]], color=BLUE, lw=1.4, zorder=2)
    ax.plot([cx, n[0]], [cy, n[1]], color=RED, lw=1.4, zorder=2)
    emoji_marker(ax, images["anchor"], cx, cy, INK, "white")
    emoji_marker(ax, images["positive"], *p, BLUE, PALE_BLUE)
    emoji_marker(ax, images["negative"], *n, RED, PALE_RED)
    clear = dict(fc="white", ec="none", pad=1.5, alpha=0.85)  # keeps the dashed rings from crossing the words
    ax.text(cx, cy - 22, "anchor a", ha="center", va="top", fontsize=12, bbox=clear, zorder=7)
    ax.text(p[0], p[1] + 22, "positive p", ha="center", va="bottom", fontsize=12, color=BLUE, bbox=clear, zorder=7)
    ax.text(n[0], n[1] + 22, "negative n", ha="center", va="bottom", fontsize=12, color=RED, bbox=clear, zorder=7)
    # the margin: the width of the shaded band
    m_dir = np.radians(-40)
    u = np.array([np.cos(m_dir), np.sin(m_dir)])
    ax.annotate(
        "",
        xy=(cx + r_m * u[0], cy + r_m * u[1]),
        xytext=(cx + r_p * u[0], cy + r_p * u[1]),
        arrowprops=dict(arrowstyle="<|-|>", color=RED, lw=1.2, shrinkA=0, shrinkB=0, mutation_scale=10),
    )
    ax.text(
        cx + (r_m + 6) * u[0], cy + (r_m + 6) * u[1], "m", fontsize=14, color=RED, ha="left", va="top", style="italic"
    )
    if moves:  # what the loss does to the two points: p along its line towards a, n along its line away from a
        a = np.array([cx, cy])
        to_a = (a - p) / np.linalg.norm(a - p)
        below = np.array([to_a[1], -to_a[0]])
        start = p + 24 * below + 4 * to_a
        arrow(ax, tuple(start), tuple(start + 34 * to_a), color=BLUE, lw=2.2)
        ax.text(
            *(start + 17 * to_a + 16 * below),
            "pull closer",
            fontsize=11.5,
            color=BLUE,
            ha="center",
            va="center",
            bbox=clear,
            zorder=7,
        )
        out = (n - a) / np.linalg.norm(n - a)
        start = n + 20 * out
        arrow(ax, tuple(start), tuple(start + 36 * out), color=RED, lw=2.2)
        ax.text(*(start + 42 * out), "push out", fontsize=11.5, color=RED, ha="left", va="center", bbox=clear, zorder=7)
    ax.text(cx, 62, f"d(a, p) = {d_ap:.1f}    d(a, n) = {d_an:.1f}", ha="center", fontsize=12)
    ax.text(
        cx,
        38,
        f"L = max(0, {d_ap:.1f} − {d_an:.1f} + {margin:.1f}) = {loss:.1f}",
        ha="center",
        fontsize=12.5,
        color=RED if loss > 0 else GREEN,
        fontweight="bold",
    )


def draw_triplet() -> plt.Figure:
    margin = 0.2  # notebook 07's margin (tutorial_utils.evaluation.ranking), on the cosine distance
    # two faces of subcategory face-smiling, and a cat face: another subcategory that looks alike (a hard negative)
    images = {"anchor": emoji("1f600.png"), "positive": emoji("1f604.png"), "negative": emoji("1f63a.png")}
    fig, ax = canvas(450)
    scale = 170  # points per unit of distance
    triplet_panel(
        ax, 186, 222, d_ap=0.6, d_an=0.4, margin=margin, title="before training", scale=scale, moves=True, images=images
    )
    triplet_panel(
        ax, 560, 222, d_ap=0.2, d_an=0.6, margin=margin, title="after training", scale=scale, moves=False, images=images
    )
    arrow(ax, (356, 330), (416, 330), color=INK, lw=2.2)
    ax.text(386, 340, "training", ha="center", va="bottom", fontsize=11)
    ax.text(WIDTH / 2, 426, r"$L = \max(0,\ d(a,p) - d(a,n) + m)$", ha="center", va="center", fontsize=16)
    ax.text(
        WIDTH / 2,
        12,
        "a and p share a subcategory, n has another; d is the cosine distance; m = 0.2 in notebook 07",
        ha="center",
        va="center",
        fontsize=10.5,
        color="#444444",
    )
    return fig


TRIPLET = (
    "The triplet loss before and after training: the positive pulled closer to the anchor, the negative pushed "
    "out beyond the margin",
    "Above: L = max(0, d(a,p) − d(a,n) + m). Two panels of emoji as points of the embedding space, each with the "
    "anchor a (a grinning face) at the centre, a dashed ring at the positive's distance and a shaded band of width "
    "m beyond it. Before training: the positive p (another smiling face, same subcategory) at distance 0.6, the "
    "negative n (a cat face, another subcategory) at 0.4, inside the ring (nearer than the positive); arrows pull p "
    "closer and push n out; "
    "L = max(0, 0.6 − 0.4 + 0.2) = 0.4. After training: p at 0.2, n at 0.6, beyond the band; "
    "L = max(0, 0.2 − 0.6 + 0.2) = 0. d is the cosine distance; m = 0.2 in notebook 07.",
)


# --- 4. SimCLR's two views ------------------------------------------------------------------------------------


def box(ax: plt.Axes, x: float, y: float, w: float, h: float, text: str, face: str, edge: str, fontsize=12) -> None:
    ax.add_patch(
        patches.FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=8", fc=face, ec=edge, lw=1.6, zorder=3
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4, linespacing=1.25)


def draw_simclr() -> plt.Figure:
    settings = ContrastiveSettings()  # the settings the shipped SimCLR model was trained with
    image = emoji("1f98a.png")  # fox face
    views = random_views(torch.stack([image, image]), torch.Generator().manual_seed(1), settings.views)
    n_batch = settings.batch_size

    fig, ax = canvas(420)
    top, bottom, mid = 292, 122, 207
    show_image(ax, image, 46, mid, 70)
    ax.text(46, mid - 44, "one image x", ha="center", va="top", fontsize=12)
    ax.text(
        46,
        mid - 66,
        "two random\nviews: crop,\nzoom, turn,\nflip, colour,\ngrey, blur",
        ha="center",
        va="top",
        fontsize=10.5,
        color="#555555",
        linespacing=1.15,
    )
    for y, view, name in ((top, views[0], "view 1"), (bottom, views[1], "view 2")):
        up = 1 if y > mid else -1
        arrow(ax, (84, mid + 14 * up), (134, y - 22 * up))
        show_image(ax, view, 170, y, 64)
        ax.text(170, y + 40 * up, name, ha="center", va="bottom" if up > 0 else "top", fontsize=12)
        arrow(ax, (206, y), (234, y))
        box(ax, 292, y, 112, 56, "encoder f\n(conv blocks)", PALE_BLUE, BLUE)
        arrow(ax, (348, y), (374, y))
        box(ax, 428, y, 104, 56, "projection\nhead g", PALE_GREEN, GREEN)
    ax.text(428, bottom - 36, "used in training only", ha="center", va="top", fontsize=10.5, color="#555555")
    for x, color in ((292, BLUE), (428, GREEN)):  # one network, used twice
        ax.plot([x, x], [top - 28, bottom + 28], color=color, lw=2, ls=(0, (5, 3)), zorder=2)
        ax.text(x + 8, mid, "same\nweights", ha="left", va="center", fontsize=10.5, color=color, linespacing=1.15)

    # the projections, normalised: points on the unit circle, compared by their angle (cosine similarity)
    cx, cy, r = 604, mid, 84
    ax.add_patch(patches.Circle((cx, cy), r, fill=False, ec=GREY, lw=1.2, zorder=1))
    zi, zj = np.radians(156), np.radians(204)
    pi = np.array([cx + r * np.cos(zi), cy + r * np.sin(zi)])
    pj = np.array([cx + r * np.cos(zj), cy + r * np.sin(zj)])
    arrow(ax, (480, top), tuple(pi + np.array([-8, 6])), rad=-0.3)
    arrow(ax, (480, bottom), tuple(pj + np.array([-8, -6])), rad=0.3)
    ax.text(500, top + 8, r"$z_i$", fontsize=15, ha="left", va="bottom")
    ax.text(500, bottom - 8, r"$z_j$", fontsize=15, ha="left", va="top")
    for a in np.radians(np.arange(-130, 131, 26)):
        u = np.array([np.cos(a), np.sin(a)])
        ax.scatter(*(np.array([cx, cy]) + r * u), s=36, c=GREY, zorder=4)
        arrow(ax, tuple(np.array([cx, cy]) + (r + 5) * u), tuple(np.array([cx, cy]) + (r + 22) * u), color=GREY, lw=1.2)
    ax.scatter([pi[0], pj[0]], [pi[1], pj[1]], s=80, c=ORANGE, ec=INK, lw=1, zorder=5)
    for p0, p1 in ((pi, pj), (pj, pi)):  # the partners pulled towards each other
        d = (p1 - p0) / np.linalg.norm(p1 - p0)
        arrow(ax, tuple(p0 + 9 * d + [10, 0]), tuple(p0 + 24 * d + [10, 0]), color=ORANGE, lw=2)
    ax.text(cx + 4, cy + 16, "pulled\ntogether", ha="center", va="center", fontsize=11, color=ORANGE, linespacing=1.1)
    ax.text(
        cx + 4,
        cy - 28,
        f"pushed away:\nthe other\n2N − 2 = {2 * n_batch - 2}\nviews",
        ha="center",
        va="center",
        fontsize=11,
        color="#555555",
        linespacing=1.1,
    )

    ax.text(
        16,
        400,
        f"SimCLR: a batch of N = {n_batch} images gives 2N = {2 * n_batch} views;",
        fontsize=12.5,
        va="center",
        fontweight="bold",
    )
    ax.text(
        16,
        378,
        "each view must pick out its partner among the other 2N − 1, with no labels",
        fontsize=12.5,
        va="center",
        fontweight="bold",
    )
    ax.text(
        16,
        30,
        r"NT-Xent:  $\ell_{i,j} = -\log \dfrac{\exp(\mathrm{sim}(z_i, z_j)/\tau)}"
        r"{\sum_{k \neq i} \exp(\mathrm{sim}(z_i, z_k)/\tau)}$",
        fontsize=14,
        va="center",
    )
    ax.text(
        400,
        30,
        f"sim = cosine similarity,\ntemperature τ = {settings.temperature}",
        fontsize=11.5,
        va="center",
        linespacing=1.25,
    )
    return fig


SIMCLR = (
    "SimCLR: two random views of one image pass through the same encoder and projection head; their projections "
    "are pulled together and pushed away from the other views of the batch",
    "At the left one image x, a fox face emoji, and two randomly augmented views of it (crop, zoom, turn, flip, "
    "colour, grey, blur): a small green fox and a magenta close-up. Each view passes through the encoder f and "
    "the projection head g; dashed lines mark that both rows share the same weights, and g is used in training "
    "only. At the right the projections z_i and z_j lie on a circle, pulled together, while the other "
    "2N − 2 = 254 views of a batch of N = 128 images are pushed away. Below, the NT-Xent loss: "
    "l(i,j) = −log [exp(sim(z_i, z_j)/τ) / Σ over k ≠ i of exp(sim(z_i, z_k)/τ)], sim the cosine similarity, "
    "temperature τ = 0.2.",
)


FIGURES: dict[str, tuple[Callable[[], plt.Figure], tuple[str, str]]] = {
    "autoencoder.svg": (draw_autoencoder, AUTOENCODER),
    "nearest-neighbours.svg": (draw_nearest_neighbours, NEAREST),
    "triplet.svg": (draw_triplet, TRIPLET),
    "simclr-views.svg": (draw_simclr, SIMCLR),
}


def svg_text(fig: plt.Figure, name: str, title: str, desc: str) -> str:
    """The figure as SVG text with a <title> and a <desc> first inside <svg>, where screen readers look."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    head = re.search(r"<svg\b[^>]*>\n", text)
    assert head is not None, "no <svg> element found"
    stem = name.removesuffix(".svg")  # ids unique per figure, should a page inline several
    accessible = (
        f'{head.group(0)[:-2]} role="img" aria-labelledby="{stem}-title {stem}-desc">\n'
        f' <title id="{stem}-title">{escape(title)}</title>\n'
        f' <desc id="{stem}-desc">{escape(desc)}</desc>\n'
    )
    text = text[: head.start()] + accessible + text[head.end() :]
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the SVG files (default: notebooks/figures)")
    parser.add_argument("--png", type=Path, default=None, help="also write PNG previews into this folder")
    args = parser.parse_args(argv)
    setup()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (draw, (title, desc)) in FIGURES.items():
        fig = draw()
        (args.out / name).write_text(svg_text(fig, name, title, desc), encoding="utf-8")
        if args.png is not None:
            args.png.mkdir(parents=True, exist_ok=True)
            fig.savefig(args.png / name.replace(".svg", ".png"), dpi=700 / (WIDTH / 72))
        plt.close(fig)
        print(f"{args.out / name}: {(args.out / name).stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
