"""The render mesh of the head: the MakeHuman head and neck fitted to the design surface.

The scalp of a design is the :class:`HeadShape` surface (every design number is computed on
it); what a client sees is a person. The MakeHuman base mesh (CC0, ``data/SOURCE.md``) with
the client's morphs is turned so that glabella and opisthocranion lie level, centred between
them, scaled to the head measures (length, breadth, vertex height above the glabella plane,
face height glabella–menton, the face narrowed so that the lateral canthi lie on the canthus
lines), subdivided twice, and its cranium snapped radially onto the
design surface: fully above a line (``_SNAP_EDGE``) running 3 cm over the brows, down the
temples to the sideburns, over the ears and down to the nape, just under the edge of the
natural scalp, blending over 25 mm down to the untouched face, ears and neck. Impressions and
hair lie on the surface, so they lie on the mesh: 97.7 % of the natural scalp of the M head
is snapped exactly, the rest lies within 1.9 mm of the surface (RMS 0.5 mm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.interpolate import PchipInterpolator

from smpstudio._types import BoolArray, FloatArray, IntArray
from smpstudio.head._morphs import Face, FaceMorphs
from smpstudio.head._surface import HeadShape

__all__ = ["REGIONS", "FaceMesh", "face_mesh", "morphed_vertices"]

REGIONS = {"scalp": 0, "face": 1, "eye": 3, "ear": 4}
"""Region codes of the mesh vertices (``scalp`` where the mesh is snapped onto the design
surface)."""
_SUBDIVISIONS = 2
_BAND_MM = 25.0
# Lower edge of the fully snapped cranium: |azimuth| (degrees) against height as a fraction
# of the vertex height (above the glabella plane) or of the lower semi-axis (below); it
# follows the natural scalp's edge (head/_head.py) a little below it. The ears are never
# snapped.
_SNAP_EDGE = (
    (0.0, 0.32),
    (40.0, 0.22),
    (55.0, -0.10),
    (68.0, -0.32),
    (80.0, -0.05),
    (100.0, -0.05),
    (120.0, -0.30),
    (150.0, -0.50),
    (180.0, -0.58),
)


@dataclass(frozen=True, eq=False)
class FaceMesh:
    """The head as drawn: triangles with per-vertex regions and shading attributes.

    Attributes
    ----------
    vertices, normals
        ``(V, 3)`` positions (mm, the head frame) and unit normals.
    triangles
        ``(T, 3)`` vertex indices, counter-clockwise seen from outside.
    region
        ``(V,)`` :data:`REGIONS` code.
    snap
        ``(V,)`` how far each vertex was moved onto the design surface (1 = on it).
    brow, lips
        ``(V,)`` brow hair density and lip weight, 0–1.
    iris_mm
        ``(V,)`` distance of an eyeball point from its eye's axis (mm), -1 off the eyes.
    crease
        ``(V,)`` concavity of the MakeHuman mesh, 0 (flat or convex) to 1 (a deep fold).
    landmarks
        Mesh landmarks (mm): glabella, vertex, opisthocranion, menton, lateral canthi,
        tragia.
    cranium_gap_mm
        RMS and largest radial distance (mm) of the fitted MakeHuman cranium (snap = 1)
        from the design surface before snapping.
    """

    vertices: FloatArray
    normals: FloatArray
    triangles: IntArray
    region: IntArray
    snap: FloatArray
    brow: FloatArray
    lips: FloatArray
    iris_mm: FloatArray
    crease: FloatArray
    landmarks: dict[str, tuple[float, float, float]]
    cranium_gap_mm: tuple[float, float]


@lru_cache(maxsize=1)
def _data() -> dict[str, npt.NDArray[Any]]:
    path = resources.files("smpstudio.head") / "data" / "makehuman_head.npz"
    with resources.as_file(path) as file, np.load(file) as npz:
        return {name: np.asarray(npz[name]) for name in npz.files}


def morphed_vertices(morphs: FaceMorphs) -> FloatArray:
    """MakeHuman head vertices (mm, MakeHuman's frame) with the client's morphs applied.

    >>> v = morphed_vertices(FaceMorphs())
    >>> v.shape[1]
    3
    """
    data = _data()
    vertices = data["vertices_mm"].astype(np.float64)
    ages = morphs.age_weights()
    for ancestry, a_weight in morphs.ancestry_weights().items():
        for age, weight in ages.items():
            if a_weight * weight > 0.0:
                vertices += a_weight * weight * data[f"morph/{ancestry}-{morphs.sex}-{age}"]
    for name, weight in morphs.morphs.items():
        if name.startswith("head-"):
            vertices += weight * data[f"morph/{name}"]
    return vertices


@lru_cache(maxsize=8)
def face_mesh(shape: HeadShape) -> FaceMesh:
    """The render mesh of the head ``shape`` (its face options in ``shape.face``)."""
    data = _data()
    face: Face = shape.face
    vertices = morphed_vertices(face.morphs)
    marks = dict(zip(data["landmark_names"].tolist(), data["landmark_vertices"], strict=True))
    region = data["region"].astype(np.int64)
    vertices = _aligned(vertices, marks, region, shape, face.height_mm)
    vertices = _canthi_on_their_lines(vertices, marks, face.canthal_width_mm)
    triangles = data["triangles"].astype(np.int64)
    attributes = np.column_stack(
        [
            data["brow"],
            data["lips"],
            data["iris_mm"],
            (region == REGIONS["ear"]).astype(float),
            _creases(vertices, triangles),
        ]
    )
    for _ in range(_SUBDIVISIONS):
        vertices, attributes, triangles = _subdivided(vertices, attributes, triangles)
    eye = attributes[:, 2] >= -0.5
    ear = attributes[:, 3] > 0.5
    weight = _snap_weight(vertices, shape) * ~eye * ~ear
    gauge = shape.gauge(vertices)
    radial_gap = np.linalg.norm(vertices, axis=1) * (1.0 - 1.0 / gauge)
    full = weight >= 1.0
    snapped = vertices * (1.0 - weight + weight / gauge)[:, None]
    normals = _vertex_normals(snapped, triangles)
    exact = shape.normal(snapped[weight > 0])
    blend = (
        normals[weight > 0] * (1.0 - weight[weight > 0, None]) + exact * weight[weight > 0, None]
    )
    normals[weight > 0] = blend / np.linalg.norm(blend, axis=1, keepdims=True)
    codes = np.where(eye, REGIONS["eye"], np.where(ear, REGIONS["ear"], REGIONS["face"]))
    codes[full] = REGIONS["scalp"]
    return FaceMesh(
        vertices=snapped,
        normals=normals,
        triangles=triangles,
        region=codes,
        snap=weight,
        brow=attributes[:, 0],
        lips=attributes[:, 1],
        iris_mm=attributes[:, 2],
        crease=attributes[:, 4],
        landmarks=_landmarks(snapped, marks, eye),
        cranium_gap_mm=(
            float(np.sqrt(np.mean(radial_gap[full] ** 2))),
            float(np.max(np.abs(radial_gap[full]))),
        ),
    )


def _aligned(
    vertices: FloatArray,
    marks: dict[str, int],
    region: IntArray,
    shape: HeadShape,
    face_height_mm: float,
) -> FloatArray:
    """Level glabella–opisthocranion, centre between them, scale to the measures."""
    glabella, back = vertices[marks["glabella"]], vertices[marks["opisthocranion"]]
    d = glabella - back
    angle = math.atan2(d[1], d[2])
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]])
    p = (vertices - (glabella + back) / 2.0) @ rotation.T
    skin = region != REGIONS["eye"]
    cranium = skin & (region != REGIONS["ear"]) & (p[:, 1] > 0.0)
    scale_x = shape.a / float(np.abs(p[cranium, 0]).max())
    scale_z = shape.c / float(np.linalg.norm(d) / 2.0)
    scale_up = shape.b_up / float(p[skin, 1].max())
    scale_down = face_height_mm / float(-p[marks["menton"], 1])
    p[:, 0] *= scale_x
    p[:, 2] *= scale_z
    p[:, 1] *= np.where(p[:, 1] >= 0.0, scale_up, scale_down)
    return np.asarray(p, dtype=np.float64)


def _canthi_on_their_lines(
    vertices: FloatArray, marks: dict[str, int], canthal_width_mm: float
) -> FloatArray:
    """Narrow or widen the face (below the brows, in front of the ears) about the midline so
    that the lateral canthi lie on the design's canthus lines x = ±canthal width / 2."""
    x_canthus = (
        vertices[marks["lateral_canthus_left"], 0] - vertices[marks["lateral_canthus_right"], 0]
    ) / 2.0
    factor = canthal_width_mm / 2.0 / x_canthus
    below = _smoothstep((_FACE_TOP_MM - vertices[:, 1]) / _FACE_BLEND_MM)
    front = _smoothstep((vertices[:, 2] - _FACE_BACK_MM) / _FACE_BLEND_MM)
    out = vertices.copy()
    out[:, 0] *= 1.0 + (factor - 1.0) * below * front
    return out


_FACE_TOP_MM = 15.0  # the face narrowed or widened fully below this height …
_FACE_BACK_MM = 40.0  # … and in front of this depth plus the blend (not the ears), over:
_FACE_BLEND_MM = 25.0


def _smoothstep(t: FloatArray) -> FloatArray:
    t = np.clip(t, 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float64)


@lru_cache(maxsize=1)
def _snap_edge() -> PchipInterpolator:
    phi = np.radians([row[0] for row in _SNAP_EDGE])
    return PchipInterpolator(phi, np.array([row[1] for row in _SNAP_EDGE]))


def _snap_weight(vertices: FloatArray, shape: HeadShape) -> FloatArray:
    """1 on the cranium above the snap edge, a smoothstep to 0 over ``_BAND_MM`` below."""
    phi, y = HeadShape.to_chart(vertices)
    fraction = _snap_edge()(np.abs(phi))
    edge = np.where(fraction >= 0.0, fraction * shape.b_up, fraction * shape.b_down)
    return _smoothstep((y - edge + _BAND_MM) / _BAND_MM)


def _subdivided(
    vertices: FloatArray, attributes: FloatArray, triangles: IntArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Split every triangle into four at its edge midpoints (shared edges share them)."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    edges.sort(axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    mid = len(vertices) + inverse.reshape(3, -1)
    new_vertices = np.concatenate([vertices, vertices[unique].mean(axis=1)])
    new_attributes = np.concatenate([attributes, attributes[unique].mean(axis=1)])
    a, b, c = triangles.T
    ab, bc, ca = mid
    new_triangles = np.concatenate(
        [
            np.stack([a, ab, ca], axis=1),
            np.stack([ab, b, bc], axis=1),
            np.stack([ca, bc, c], axis=1),
            np.stack([ab, bc, ca], axis=1),
        ]
    )
    return new_vertices, new_attributes, new_triangles


_CREASE_SCALE = 2.5  # concavity (in edge lengths) of a full crease


def _creases(vertices: FloatArray, triangles: IntArray) -> FloatArray:
    """How far each vertex sits below the mean of its neighbours, along its normal, in
    units of the local edge length: 0 on flat or convex skin, 1 in a deep fold."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    edges = np.concatenate([edges, edges[:, ::-1]])
    total = np.zeros_like(vertices)
    count = np.zeros(len(vertices))
    length = np.zeros(len(vertices))
    np.add.at(total, edges[:, 0], vertices[edges[:, 1]])
    np.add.at(count, edges[:, 0], 1.0)
    np.add.at(
        length, edges[:, 0], np.linalg.norm(vertices[edges[:, 1]] - vertices[edges[:, 0]], axis=1)
    )
    count = np.maximum(count, 1.0)
    inward = np.sum(
        (total / count[:, None] - vertices) * _vertex_normals(vertices, triangles), axis=1
    )
    return np.asarray(
        np.clip(inward / (length / count) * _CREASE_SCALE, 0.0, 1.0), dtype=np.float64
    )


def _vertex_normals(vertices: FloatArray, triangles: IntArray) -> FloatArray:
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    face_normals = np.cross(b - a, c - a)
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face_normals)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.asarray(normals / np.maximum(length, 1e-12), dtype=np.float64)


def _landmarks(
    vertices: FloatArray, marks: dict[str, int], eye: BoolArray
) -> dict[str, tuple[float, float, float]]:
    out = {}
    for name, index in marks.items():
        p = vertices[index]
        out[name] = (round(float(p[0]), 3), round(float(p[1]), 3), round(float(p[2]), 3))
    skin = vertices[~eye]
    top = skin[np.argmax(skin[:, 1])]
    out["vertex"] = (round(float(top[0]), 3), round(float(top[1]), 3), round(float(top[2]), 3))
    return out
