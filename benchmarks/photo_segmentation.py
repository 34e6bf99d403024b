"""Segmentation against hand-labelled photos: bald-scalp IoU and false positives.

    python -m benchmarks.photo_segmentation

For every photo of ``tests/data/photos/eval`` (sources and licences in its SOURCES.md; labels
drawn by hand, ``label.py``) the analysis runs as ``smpstudio analyze`` does, and the
segmentation is compared with the labels with the hair model (what the analysis uses) and
with the colour heuristics alone (the fallback, ``model=False``), on the same landmarks and
hairline; each twice: with the proposed hairline (``end to end``) and with the labelled
hairline given as a hand-drawn one (``parsing``: what the segmentation finds once the line
between face and scalp is where the labeller put it). Treated scalp = the ``scalp`` and
``thinning`` regions.

- **scalp IoU**: intersection over union of treated scalp and labelled bald scalp, on
  labelled pixels (not on ``other``: ears, neck, clothing), for photos with bald scalp.
- **background FP** and **face FP**: the share of labelled background and face pixels
  that are treated scalp (where dots would land by mistake).

Overall figures pool the pixels of all photos.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "photos" / "eval"
OTHER, BACKGROUND, FACE, HAIR, SCALP = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Score:
    """One photo scored with one segmenter (pixel counts)."""

    name: str
    method: str
    hair_source: str
    inter: int
    union: int
    scalp: int  # labelled bald scalp
    bg_fp: int
    bg: int
    face_fp: int
    face: int

    @property
    def iou(self) -> float | None:
        return self.inter / self.union if self.scalp else None

    @property
    def bg_rate(self) -> float:
        return self.bg_fp / max(self.bg, 1)

    @property
    def face_rate(self) -> float:
        return self.face_fp / max(self.face, 1)


def photos() -> list[Path]:
    """The evaluation photos, by name."""
    return sorted(EVAL.glob("*.jpg"))


def score(truth: np.ndarray, treated: np.ndarray, name: str, method: str, source: str) -> Score:
    """Compare treated-scalp pixels with the label codes."""
    valid = truth != OTHER
    scalp = truth == SCALP
    return Score(
        name,
        method,
        source,
        inter=int((treated & scalp & valid).sum()),
        union=int(((treated | scalp) & valid).sum()),
        scalp=int(scalp.sum()),
        bg_fp=int((treated & (truth == BACKGROUND)).sum()),
        bg=int((truth == BACKGROUND).sum()),
        face_fp=int((treated & (truth == FACE)).sum()),
        face=int((truth == FACE).sum()),
    )


METHODS = ("model", "heuristic", "model, labelled hairline", "heuristic, labelled hairline")


def labelled_hairline(name: str) -> np.ndarray:
    """The face's upper edge as labelled (pixels, from the photo's left to its right)."""
    data = json.loads((EVAL / "labels" / f"{name}.json").read_text())
    if "same_as" in data:
        return labelled_hairline(str(data["same_as"]))
    return np.asarray(data["hairline"], dtype=np.float64)


def evaluate(names: list[str] | None = None) -> list[Score]:
    """Score every evaluation photo (or those named) with each of :data:`METHODS`."""
    from smpstudio._errors import PhotoError
    from smpstudio.photo import PhotoEdits, analyze_photo, ingest_photo, segment_photo

    out: list[Score] = []
    for path in photos():
        if names is not None and path.stem not in names:
            continue
        truth = np.asarray(Image.open(EVAL / "masks" / f"{path.stem}.png"), dtype=np.uint8)
        photo = ingest_photo(path, view="frontal")
        try:
            analysis = analyze_photo(photo)
            given = analyze_photo(photo, edits=PhotoEdits(hairline=labelled_hairline(path.stem)))
        except PhotoError as error:  # refused: nothing is treated (scored as such)
            nothing = np.zeros(truth.shape, dtype=bool)
            for method in METHODS:
                out.append(score(truth, nothing, path.stem, method, f"refused: {error}"))
            continue
        segs = [analysis.segmentation]
        segs.append(
            segment_photo(
                photo,
                landmarks=analysis.landmarks,
                hairline=analysis.hairline,
                mm_per_px=analysis.mm_per_px,
                model=False,
            )
        )
        segs.append(given.segmentation)
        segs.append(
            segment_photo(
                photo,
                landmarks=given.landmarks,
                hairline=given.hairline,
                mm_per_px=given.mm_per_px,
                model=False,
            )
        )
        for method, seg in zip(METHODS, segs, strict=True):
            treated = seg.mask("scalp", "thinning")
            if treated.shape != truth.shape:
                treated = np.asarray(
                    Image.fromarray(treated).resize(truth.shape[::-1], Image.Resampling.NEAREST)
                )
            out.append(score(truth, treated, path.stem, method, seg.hair_source))
    return out


def pooled(scores: list[Score]) -> dict[str, float]:
    """Overall figures: pooled IoU over photos with scalp, mean IoU, pooled FP rates."""
    with_scalp = [s for s in scores if s.scalp]
    ious = [s.iou for s in with_scalp if s.iou is not None]
    return {
        "iou": sum(s.inter for s in with_scalp) / max(sum(s.union for s in with_scalp), 1),
        "mean_iou": float(np.mean(ious)) if ious else 0.0,
        "bg_fp": sum(s.bg_fp for s in scores) / max(sum(s.bg for s in scores), 1),
        "face_fp": sum(s.face_fp for s in scores) / max(sum(s.face for s in scores), 1),
        "worst_bg_fp": max((s.bg_rate for s in scores), default=0.0),
        "worst_face_fp": max((s.face_rate for s in scores), default=0.0),
    }


def table(scores: list[Score], *, given: bool = False) -> str:
    """The Markdown table of docs/photo.md: end to end, or (``given``) with the labelled
    hairline."""
    suffix = ", labelled hairline" if given else ""
    lines = [
        "| photo | scalp IoU, model | heuristic | background FP, model | heuristic "
        "| face FP, model | heuristic |",
        "|---|---|---|---|---|---|---|",
    ]
    by = {(s.name, s.method): s for s in scores}
    for name in sorted({s.name for s in scores}):
        m, h = by[(name, "model" + suffix)], by[(name, "heuristic" + suffix)]

        def iou(s: Score) -> str:
            return "—" if s.iou is None else f"{s.iou:.2f}"

        lines.append(
            f"| {name} | {iou(m)} | {iou(h)} | {100 * m.bg_rate:.2f} % | "
            f"{100 * h.bg_rate:.2f} % | {100 * m.face_rate:.2f} % | {100 * h.face_rate:.2f} % |"
        )
    pm = pooled([s for s in scores if s.method == "model" + suffix])
    ph = pooled([s for s in scores if s.method == "heuristic" + suffix])
    lines.append(
        f"| **all (pooled)** | **{pm['iou']:.2f}** | **{ph['iou']:.2f}** | "
        f"**{100 * pm['bg_fp']:.2f} %** | **{100 * ph['bg_fp']:.2f} %** | "
        f"**{100 * pm['face_fp']:.2f} %** | **{100 * ph['face_fp']:.2f} %** |"
    )
    lines.append(
        f"| mean IoU / worst FP | {pm['mean_iou']:.2f} | {ph['mean_iou']:.2f} | "
        f"{100 * pm['worst_bg_fp']:.2f} % | {100 * ph['worst_bg_fp']:.2f} % | "
        f"{100 * pm['worst_face_fp']:.2f} % | {100 * ph['worst_face_fp']:.2f} % |"
    )
    return "\n".join(lines)


def main() -> None:
    scores = evaluate(sys.argv[1:] or None)
    print("End to end (the proposed hairline):\n")
    print(table(scores))
    print("\nParsing (the labelled hairline given as a hand-drawn one):\n")
    print(table(scores, given=True))
    for s in scores:
        if s.hair_source.startswith("refused") and s.method == "model":
            print(f"{s.name}: {s.hair_source}")


if __name__ == "__main__":
    main()
