"""Photoreal views of the virtual head before and after SMP.

A view is built in linear light: the head rasterised into the frame, the skin shaded and
textured, every visible impression splatted as pigment seen through the skin (its healed,
fresh or faded strength from :mod:`smpstudio.colour`), red halos around fresh punctures, and
the remaining hair drawn on top — shaved stubble, or the client's hair at its length
(:mod:`._strands`, ``Design.hair_length_mm``); then encoded to sRGB.

Everything but the impressions is the same for every state and set of impressions: it is
rendered once as a :class:`ViewBase` (:func:`view_base`, kept for frames ≤ 1024 px), and the
impressions are projected (:func:`impression_splats`) and drawn into it
(:func:`draw_splats`). :func:`render_view` is those three steps.

States: ``before`` (no impressions), ``fresh`` (day 0: darker, twice the size, red around),
``healed``, and ``year-N`` (N years after healing, faded by the model).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from smpstudio._errors import InputError
from smpstudio._types import Float32Array, FloatArray, IntArray, UInt8Array
from smpstudio.colour import (
    SHAVED,
    DilutionTable,
    FadeConditions,
    PigmentModel,
    SkinTone,
    hex_to_srgb,
    lab_to_srgb,
    skin_tone,
    srgb_to_linear,
)
from smpstudio.dots import Impressions
from smpstudio.head import HeadShape
from smpstudio.head._face import face_mesh
from smpstudio.head._views import VIEW_NAMES, View, view
from smpstudio.render._brows import draw_brows
from smpstudio.render._hair import LONG_FROM_MM, Stubble, stubble
from smpstudio.render._kernels import (
    SRGB_TABLE,
    absorb_bands,
    cover_bands,
    draw_bands,
    encode_layers,
    prepare_splats,
)
from smpstudio.render._raster import Frame, Visibility, visibility
from smpstudio.render._skin import shade_head
from smpstudio.render._strands import draw_strands, rooted_like, strands

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = [
    "PHOTO_VIEWS",
    "Look",
    "RenderState",
    "Splats",
    "ViewBase",
    "draw_splats",
    "frame_for",
    "impression_splats",
    "look_for",
    "parse_state",
    "patch_base",
    "render_view",
    "view_base",
]

PHOTO_VIEWS = (*VIEW_NAMES, "part")
"""The head views and ``part``: looking down the central parting from above and behind, the
view women's thinning is graded on (the midline view of Savin's scale, domain reference
§3.2; "vertex, midline, frontal, temporal" in standard hair photography)."""
_PART_TILT_RAD = math.radians(20.0)  # the part view leans this far from vertical, to the face
# The optics of shaved hair and healed dots, shared with the blend model that picks the
# shade (smpstudio.colour.SHAVED; docs/render.md, "Blending").
_SUBSURFACE_MM = SHAVED.dermal_spread_mm  # spread of a dot's core in the dermis (σ, mm)
_DOT_HALO_MM = SHAVED.halo_mm  # the wide, faint shadow around each dot (σ, mm) …
_DOT_HALO_PEAK = SHAVED.halo_peak  # … and its peak coverage
_FACING_FROM = 0.05  # cosine of the view's angle to the skin above which a dot is drawn
_HALO_REACH = 2.5  # σ: a halo's box, its corners 2 % of its faint peak …
_HALO_KEPT = math.erf(_HALO_REACH / math.sqrt(2.0)) ** 2  # … keeping 97.5 % of its light
_HAIR_OPACITY = SHAVED.stubble_opacity
_BURIED_MM = SHAVED.buried_mm  # length of shaft seen through the skin under each hair
_BURIED_WIDTH_MM = SHAVED.buried_width_mm  # its width, blurred by the epidermis
_BURIED_SHARE = SHAVED.buried_share  # share of the hair's contrast that shows through
_RAISED = ("front", "three-quarter")
_RAISED_RAD = math.radians(25.0)
_CACHE_MAX_SIZE = 1024  # bases and geometry of larger frames are not kept between renders
_BACKGROUND = np.array([0.115, 0.118, 0.125], dtype=np.float64)
_LIGHTS = (0.82, 0.24, 0.16, 0.35, 0.035, 28.0)  # key, fill, ambient, wrap, sheen, shininess
_TEXTURE = np.array([0.32, 0.07, 6.0, 0.05, 0.04])  # pore mm, depth, mottle mm, depth, redness


@dataclass(frozen=True)
class RenderState:
    """What moment is shown: ``before``, ``fresh`` (day 0), ``healed`` or ``year`` + years."""

    name: str
    years: float = 0.0

    @property
    def label(self) -> str:
        return f"year-{self.years:g}" if self.name == "year" else self.name


def parse_state(text: str) -> RenderState:
    """``before``, ``fresh``, ``healed`` or ``year-N`` (N from 0 to 20 years).

    >>> parse_state("year-5")
    RenderState(name='year', years=5.0)
    """
    key = text.strip().lower()
    if key in ("before", "fresh", "healed"):
        return RenderState(key)
    if key.startswith("year-"):
        try:
            years = float(key[5:])
        except ValueError:
            years = math.nan
        if math.isfinite(years) and 0.0 <= years <= 20.0:
            return RenderState("year", years)
    raise InputError(f"unknown state {text!r}: use before, fresh, healed or year-N (N = 0–20)")


@dataclass(frozen=True)
class Look:
    """Colours of a client: scalp skin (linear sRGB and CIELAB) and hair (linear sRGB)."""

    skin_linear: FloatArray
    skin_lab: FloatArray
    hair_linear: FloatArray
    model: PigmentModel
    conditions: FadeConditions


def look_for(
    skin: str | SkinTone,
    hair: str,
    *,
    model: PigmentModel | None = None,
    conditions: FadeConditions | None = None,
) -> Look:
    """The look of a client from a skin colour (``#rrggbb`` or a SkinTone) and a hair colour
    (a name of the dilution table or ``#rrggbb``)."""
    tone = skin_tone(skin) if isinstance(skin, str) else skin
    names = DilutionTable.default().hair_colours
    hair_hex = names.get(hair.strip().lower(), hair)
    try:
        hair_rgb = hex_to_srgb(hair_hex)
    except InputError:
        raise InputError(
            f"hair colour {hair!r} is neither #rrggbb nor one of {', '.join(names)}"
        ) from None
    return Look(
        skin_linear=np.asarray(srgb_to_linear(lab_to_srgb(tone.lab)), dtype=np.float64),
        skin_lab=np.asarray(tone.lab, dtype=np.float64),
        hair_linear=np.asarray(srgb_to_linear(hair_rgb), dtype=np.float64),
        model=model or PigmentModel(),
        conditions=conditions or FadeConditions(),
    )


@lru_cache(maxsize=64)
def frame_for(shape: HeadShape, name: str, size: int) -> Frame:
    """The framing of each view: the whole head down to the chin, as a client sees himself.

    ``front`` and ``three-quarter`` look down from 25° above, as a practitioner photographs a
    hairline; the sides and the back reach a little below the chin; ``top`` shows the head
    from above and ``part`` the top of the scalp.
    """
    camera = photo_view(name)
    mesh = face_mesh(shape)
    points = mesh.vertices[::5]
    keep = np.ones(len(points), dtype=bool)
    if name != "top":
        keep &= points[:, 1] >= mesh.landmarks["menton"][1] - _BELOW_CHIN_MM
    if name == "part":
        facing = shape.normal(shape.project(points)) @ np.asarray(camera.forward)
        keep &= (facing < -0.8) & (mesh.region[::5] == 0)
    u = points[keep] @ camera.right
    w = points[keep] @ np.asarray(camera.up)
    half = 0.53 * max(float(np.ptp(u)), float(np.ptp(w)))
    centre = ((float(u.max()) + float(u.min())) / 2.0, (float(w.max()) + float(w.min())) / 2.0)
    return Frame(camera, centre, half, size)


_BELOW_CHIN_MM = 12.0


def photo_view(name: str) -> View:
    """The camera of a photo view: the orthographic view, raised for front and three-quarter;
    ``part`` looks down on the top of the head from above and a little behind, the face at
    the top of the image, along the parting."""
    if name == "part":
        f = np.array([0.0, -math.cos(_PART_TILT_RAD), math.sin(_PART_TILT_RAD)])
        up = np.array([0.0, math.sin(_PART_TILT_RAD), math.cos(_PART_TILT_RAD)])
        return View(name, _triple(f), _triple(up))
    base = view(name)
    if name not in _RAISED:
        return base
    f = np.asarray(base.forward) * math.cos(_RAISED_RAD) + np.array(
        [0.0, -math.sin(_RAISED_RAD), 0.0]
    )
    f /= np.linalg.norm(f)
    up = np.array([0.0, 1.0, 0.0]) - f[1] * f
    up /= np.linalg.norm(up)
    return View(name, _triple(f), _triple(up))


def _triple(v: FloatArray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def render_view(
    design: Design,
    impressions: Impressions | None,
    look: Look,
    *,
    view_name: str,
    size: int = 1024,
    state: RenderState | str = "healed",
    seed: int | None = None,
) -> Image.Image:
    """Render one view of the design in one state as an sRGB image.

    The same as ``view_base`` followed by ``draw_splats(base, impression_splats(base,
    impressions, state=state))``.

    Parameters
    ----------
    design
        The design (head, pattern, hairline).
    impressions
        Its impressions (ignored for ``before``; required otherwise).
    look
        Skin and hair colours (:func:`look_for`).
    view_name
        ``front``, ``top``, ``left``, ``right``, ``back``, ``three-quarter`` or ``part``.
    size
        Width and height in pixels (64–8192).
    state
        ``before``, ``fresh``, ``healed`` or ``year-N``.
    seed
        Seed of the hair and skin texture; the design's by default.

    Returns
    -------
    PIL.Image.Image
        The view, 8-bit sRGB.
    """
    moment = parse_state(state) if isinstance(state, str) else state
    if view_name not in PHOTO_VIEWS:
        raise InputError(f"unknown view {view_name!r}: choose from {', '.join(PHOTO_VIEWS)}")
    if moment.name != "before" and impressions is None:
        raise InputError(f"the {moment.label} state needs the impressions")
    base = view_base(design, look, view_name=view_name, size=size, seed=seed)
    if moment.name == "before" or impressions is None:
        return Image.fromarray(base.before(), "RGB")
    pixels = draw_splats(base, impression_splats(base, impressions, state=moment))
    return Image.fromarray(pixels, "RGB")


@dataclass(frozen=True, eq=False)
class ViewBase:
    """One view of a design without its impressions, ready to draw them into.

    Everything but the impressions — the lit, textured skin, the shadow of the buried hair
    and the cut stubble — is the same for every state and every set of impressions, so the
    live designer renders it once per design, view and size (:func:`view_base` keeps the
    last few of ≤ 1024 px) and then only draws the impressions (:func:`draw_splats`).

    Attributes
    ----------
    shape
        The head.
    frame
        The view's framing (pixel scale, camera).
    look
        The client's colours and pigment model.
    skin
        Linear RGB ``(H, W, 3)`` float32 of the skin as it shows between the stubble (lit,
        textured, shaded by the buried hair, times the light the stubble lets through).
    hair
        Linear RGB ``(H, W, 3)`` float32 the cut stubble (or the long hair) adds over it.
    encoded
        8-bit sRGB of ``skin + hair`` (the ``before`` view) for frames ≤ 1024 px, else
        ``None`` (computed when asked for by :meth:`before`).
    """

    shape: HeadShape
    frame: Frame
    look: Look
    skin: Float32Array
    hair: Float32Array
    encoded: UInt8Array | None

    def before(self) -> UInt8Array:
        """The view without impressions, 8-bit sRGB ``(H, W, 3)``."""
        if self.encoded is not None:
            return self.encoded.copy()
        return encode_layers(self.skin, self.hair, SRGB_TABLE)


@dataclass(frozen=True)
class Splats:
    """Impressions as one view sees them: Gaussian footprints on the screen.

    Attributes
    ----------
    centres
        ``(N, 2)`` pixel column and row of each footprint's centre.
    cov
        ``(N, 3)`` covariance (px²: xx, xy, yy) of the footprint blurred by the dermis.
    area
        ``(N,)`` integral of the coverage (px²): the peak coverage is ``area / (2π √det)``,
        clipped to 1.
    strength
        ``(N, 3)`` share of the light absorbed per linear RGB channel where fully covered.
    halo_px
        Radius (px) of the red halo around each puncture (``fresh``), 0 for none.
    halo_transmittance
        Linear RGB transmittance at the centre of a halo.
    cores
        How many of the footprints are dots' cores (the first ones; -1: all). The rest are
        the wide, faint shadows around them (``ShavedOptics.halo_mm``), in the same order.
    """

    centres: FloatArray
    cov: FloatArray
    area: FloatArray
    strength: FloatArray
    halo_px: float = 0.0
    halo_transmittance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    cores: int = -1

    def __len__(self) -> int:
        """The number of dots (cores)."""
        return int(self.centres.shape[0]) if self.cores < 0 else self.cores


def view_base(
    design: Design,
    look: Look,
    *,
    view_name: str,
    size: int = 1024,
    seed: int | None = None,
) -> ViewBase:
    """The view of a design before impressions, to draw impressions into.

    The rendered arrays are kept for the last few (head, view, size ≤ 1024, colours, seed,
    remaining hair) and shared, read-only, by the bases returned for them.

    Parameters
    ----------
    design
        The design (its head and remaining hair).
    look
        Skin and hair colours (:func:`look_for`).
    view_name
        ``front``, ``top``, ``left``, ``right``, ``back``, ``three-quarter`` or ``part``.
    size
        Width and height in pixels (64–8192).
    seed
        Seed of the hair and skin texture; the design's by default.

    Returns
    -------
    ViewBase
        The rendered base.
    """
    if view_name not in PHOTO_VIEWS:
        raise InputError(f"unknown view {view_name!r}: choose from {', '.join(PHOTO_VIEWS)}")
    if not 64 <= size <= 8192:
        raise InputError(f"image size {size} px is outside 64–8192")
    seed = design.inputs["seed"] if seed is None else seed
    hair = stubble(design, seed=seed)
    shape = design.head.shape
    key = (
        shape,
        view_name,
        size,
        look.skin_linear.tobytes(),
        look.hair_linear.tobytes(),
        seed,
        hair.key,
        design.hair_length_mm,
    )
    cached = _BASES.get(key)
    if cached is not None:
        _BASES.move_to_end(key)
        frame, skin, layer, encoded = cached
        return ViewBase(shape, frame, look, skin, layer, encoded)
    frame = frame_for(shape, view_name, size)
    skin, layer = _render_layers(design, look, frame, _visibility(shape, view_name, size), seed)
    if size > _CACHE_MAX_SIZE:
        return ViewBase(shape, frame, look, skin, layer, None)
    encoded = encode_layers(skin, layer, SRGB_TABLE)
    for array in (skin, layer, encoded):
        array.flags.writeable = False
    _BASES[key] = (frame, skin, layer, encoded)
    while len(_BASES) > _BASES_KEPT:
        _BASES.popitem(last=False)
    return ViewBase(shape, frame, look, skin, layer, encoded)


def _render_layers(
    design: Design, look: Look, frame: Frame, seen: Visibility, seed: int
) -> tuple[Float32Array, Float32Array]:
    """The lit skin (times the light the hair lets through) and the hair's layer of a frame."""
    shape = design.head.shape
    hair = stubble(design, seed=seed)
    skin = _shade(seen, frame, shape, look, seed)
    draw_brows(skin, frame, shape, look.hair_linear, seed, seen=seen)
    if design.hair_length_mm >= LONG_FROM_MM:
        grown = strands(design, hair, seed=seed)
        _draw_buried_hair(skin, frame, shape, rooted_like(hair, grown), look)
        layer = draw_strands(skin, frame, seen, grown, look.hair_linear, _lights(frame))
    else:
        del seen  # a large frame's buffer goes before the hair is drawn, as it always did
        _draw_buried_hair(skin, frame, shape, hair, look)
        layer = _cover_cut_hair(skin, frame, shape, hair, look)
    return skin, layer


def patch_base(
    design: Design,
    look: Look,
    *,
    centre: FloatArray,
    width_mm: float,
    size: int,
    up: FloatArray | None = None,
    seed: int | None = None,
) -> ViewBase:
    """A square patch of the scalp seen straight on, ``width_mm`` wide around ``centre`` (a
    point of the scalp), ``up`` (a direction, by default the head's up, +y) toward the top
    of the image as far as it lies across the line of sight: a close-up rendered like a view, with
    the same skin, hair and impressions (:func:`impression_splats`, :func:`draw_splats`).

    The camera looks along the surface normal at ``centre``; the patch is ``size`` px wide
    (64–2048), so ``width_mm / size`` mm a pixel. Kept (read-only) for the last six, like
    the views' bases.
    """
    if not 64 <= size <= 2048:
        raise InputError(f"close-up size {size} px is outside 64–2048")
    if not 1.0 <= width_mm <= 200.0:
        raise InputError(f"close-up width {width_mm:g} mm is outside 1–200 mm")
    seed = design.inputs["seed"] if seed is None else seed
    shape = design.head.shape
    point = shape.project(np.asarray(centre, dtype=np.float64).reshape(1, 3))
    forward = -shape.normal(point)[0]
    hint = np.array([0.0, 1.0, 0.0]) if up is None else np.asarray(up, dtype=np.float64)
    across = hint - (hint @ forward) * forward
    if np.linalg.norm(across) < 1e-6:  # looking along the hint: the face at the bottom
        across = np.array([0.0, 0.0, -1.0]) - forward[2] * forward
    across /= np.linalg.norm(across)
    camera = View("close-up", _triple(forward), _triple(across))
    middle = (float(point[0] @ camera.right), float(point[0] @ across))
    frame = Frame(camera, middle, width_mm / 2.0, size)
    hair = stubble(design, seed=seed)
    key = (
        shape,
        frame,
        look.skin_linear.tobytes(),
        look.hair_linear.tobytes(),
        seed,
        hair.key,
        design.hair_length_mm,
    )
    cached = _PATCHES.get(key)
    if cached is None:
        skin, layer = _render_layers(design, look, frame, visibility(shape, frame), seed)
        encoded = encode_layers(skin, layer, SRGB_TABLE)
        for array in (skin, layer, encoded):
            array.flags.writeable = False
        cached = _PATCHES[key] = (skin, layer, encoded)
        while len(_PATCHES) > _BASES_KEPT:
            _PATCHES.popitem(last=False)
    _PATCHES.move_to_end(key)
    return ViewBase(shape, frame, look, *cached)


_PATCHES: OrderedDict[tuple[object, ...], tuple[Float32Array, Float32Array, UInt8Array]] = (
    OrderedDict()
)


_BASES: OrderedDict[tuple[object, ...], tuple[Frame, Float32Array, Float32Array, UInt8Array]] = (
    OrderedDict()
)
_BASES_KEPT = 6


def impression_splats(
    base: ViewBase, impressions: Impressions, *, state: RenderState | str = "healed"
) -> Splats:
    """Where and how dark each impression facing the camera shows in the view.

    Parameters
    ----------
    base
        The view (:func:`view_base`).
    impressions
        The dots (positions, healed diameters, dilutions, zones).
    state
        ``fresh``, ``healed`` or ``year-N`` (``before`` gives no splats).

    Returns
    -------
    Splats
        Cores blurred by the dermis (σ = 0.18 mm), then their halos (σ = 0.4 mm, peak 0.75),
        and their strength from the pigment model
        (:meth:`smpstudio.colour.PigmentModel.splat`).
    """
    moment = parse_state(state) if isinstance(state, str) else state
    frame, look = base.frame, base.look
    if moment.name == "before" or len(impressions) == 0:
        return Splats(np.zeros((0, 2)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3)))
    model = look.model
    normals = base.shape.normal(impressions.positions)
    seen = np.flatnonzero(-(normals @ np.asarray(frame.view.forward)) > _FACING_FROM)
    speed = np.where(impressions.zone[seen] == 4, _scar_speed(look), look.conditions.speed)
    strength, diameter = model.splat(
        impressions.dilution[seen],
        impressions.diameter_mm[seen],
        state=moment.name,
        years=moment.years,
        speed=speed,
    )
    centres, footprints = _disc_splats(
        frame,
        impressions.positions[seen],
        normals[seen],
        diameter,
        (_SUBSURFACE_MM, _DOT_HALO_MM),
    )
    (cov, area), (wide, wide_area) = footprints
    halo = model.halo_radius_mm / frame.mm_per_px if moment.name == "fresh" else 0.0
    tint = tuple(float(t) for t in model.erythema_transmittance)
    return Splats(
        np.concatenate([centres, centres]),
        np.concatenate([cov, wide]),
        np.concatenate([area, _DOT_HALO_PEAK * wide_area]),
        np.concatenate([strength, strength]),
        halo,
        (tint[0], tint[1], tint[2]),
        len(seen),
    )


def draw_splats(base: ViewBase, splats: Splats) -> UInt8Array:
    """Draw impressions into a view: the pigment darkens the skin under the stubble.

    Each splat multiplies the skin it covers by ``1 - coverage × strength`` per channel,
    in the given order, then red halos (``fresh``), then the stubble is laid over and the
    result encoded to 8-bit sRGB. The base is not changed. Deterministic: the frame is cut
    into bands of rows, each drawn by one thread in the splats' order, so the bytes do not
    depend on the number of threads.

    Parameters
    ----------
    base
        The view (:func:`view_base`).
    splats
        The impressions' footprints (:func:`impression_splats`).

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 sRGB.
    """
    height, width = base.skin.shape[:2]
    n = len(splats)
    centres, cov, strength = splats.centres, splats.cov, splats.strength
    norm = splats.area / (2.0 * math.pi * np.sqrt(cov[:, 0] * cov[:, 2] - cov[:, 1] ** 2))
    reach = np.full(len(centres), 3.0)
    if splats.cores >= 0:  # the faint halos: cut at 2.5 σ, their lost 2.5 % given back
        reach[n:] = _HALO_REACH
        norm[n:] /= _HALO_KEPT
    if splats.halo_px > 0.0 and n:
        s2 = splats.halo_px**2
        halo_cov = np.broadcast_to(np.array([s2, 0.0, s2]), (n, 3))
        red = 1.0 - np.asarray(splats.halo_transmittance, dtype=np.float64)
        centres = np.concatenate([centres, centres[:n]])
        cov = np.concatenate([cov, halo_cov])
        norm = np.concatenate([norm, np.ones(n)])
        reach = np.concatenate([reach, np.full(n, 2.5)])
        strength = np.concatenate([strength, np.broadcast_to(red, (n, 3))])
    rec, rbox, starts = prepare_splats(
        np.ascontiguousarray(centres, dtype=np.float64),
        np.ascontiguousarray(cov, dtype=np.float64),
        np.ascontiguousarray(norm, dtype=np.float64),
        np.ascontiguousarray(strength, dtype=np.float64),
        reach,
        height,
        width,
    )
    encoded = base.encoded if base.encoded is not None else np.zeros((0, 0, 3), np.uint8)
    return draw_bands(base.skin, base.hair, encoded, rec, rbox, starts, SRGB_TABLE)


def _visibility(shape: HeadShape, view_name: str, size: int) -> Visibility:
    if size <= _CACHE_MAX_SIZE:
        return _cached_visibility(shape, view_name, size)
    return visibility(shape, frame_for(shape, view_name, size))


@lru_cache(maxsize=12)
def _cached_visibility(shape: HeadShape, view_name: str, size: int) -> Visibility:
    return visibility(shape, frame_for(shape, view_name, size))


def _lights(frame: Frame) -> FloatArray:
    f = np.asarray(frame.view.forward)
    up = np.asarray(frame.view.up)
    right = frame.view.right
    key = _unit(-0.75 * f + 0.55 * up - 0.45 * right)
    fill = _unit(-0.8 * f - 0.1 * up + 0.6 * right)
    half = _unit(key - f)
    k, fl, ambient, wrap, sheen, shininess = _LIGHTS
    return np.array([[*key, k], [*fill, fl], [*half, sheen], [ambient, wrap, shininess, 0.0]])


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def _shade(v: Visibility, frame: Frame, shape: HeadShape, look: Look, seed: int) -> Float32Array:
    return shade_head(
        v.triangle,
        v.screen,
        v.vertices,
        v.normals,
        v.triangles,
        v.attributes,
        look.skin_linear,
        np.vstack([_palette(look), _neck_fade(shape)]),
        _lights(frame),
        _BACKGROUND,
        _TEXTURE,
        seed,
    )


_LIP_TINT = np.array([0.86, 0.58, 0.60])  # lips: the skin, darker and redder [U]
_SCLERA = np.array([0.60, 0.56, 0.52])  # linear sRGB, a sclera in the shade of the lids
_IRIS = np.array([0.045, 0.024, 0.012])  # dark brown
_PUPIL = np.array([0.004, 0.004, 0.005])
_EYE_MM = (2.0, 5.8, 0.35)  # pupil radius, iris radius, darkening of a full crease


def _palette(look: Look) -> FloatArray:
    """The colours of the face beyond the skin (:data:`._skin.PALETTE_ROWS` rows)."""
    del look  # the client's eye colour is not asked for: a dark brown iris
    return np.array([_LIP_TINT, _SCLERA, _IRIS, _PUPIL, _EYE_MM], dtype=np.float64)


def _neck_fade(shape: HeadShape) -> FloatArray:
    """Heights (mm) between which the neck fades into the backdrop, as in a portrait."""
    chin = face_mesh(shape).landmarks["menton"][1]
    return np.array([chin - _FADE_MM[0], chin - _FADE_MM[1], 0.0])


_FADE_MM = (-5.0, 30.0)


def _disc_splats(
    frame: Frame,
    positions: FloatArray,
    normals: FloatArray,
    diameter_mm: FloatArray,
    spreads_mm: tuple[float, ...],
) -> tuple[FloatArray, list[tuple[FloatArray, FloatArray]]]:
    """Screen centres of discs on the skin, and for each spread (σ, mm) their covariances
    (px²: xx, xy, yy) and areas (px²) spread by it."""
    fwd, up, right = np.asarray(frame.view.forward), np.asarray(frame.view.up), frame.view.right
    cos = -(normals @ fwd)
    col, row, _ = frame.project(positions)
    m = np.column_stack([normals @ right, -(normals @ up)])
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
    px = frame.mm_per_px
    squeeze = 1.0 - cos**2
    seen = np.clip(cos, 0.0, 1.0)
    footprints = []
    for spread in spreads_mm:
        sigma2 = ((diameter_mm / 4.0) ** 2 + spread**2) / px**2
        cov = np.column_stack(
            [
                sigma2 * (1.0 - squeeze * m[:, 0] ** 2) + 1.0 / 12.0,
                -sigma2 * squeeze * m[:, 0] * m[:, 1],
                sigma2 * (1.0 - squeeze * m[:, 1] ** 2) + 1.0 / 12.0,
            ]
        )
        # Peak coverage 1 at the centre (the dot looks as dark as its deposit, as the
        # colour model predicts); the dermis spreads its shadow over the blurred footprint.
        footprints.append((cov, 2.0 * math.pi * sigma2 * seen))
    return np.column_stack([col, row]), footprints


def _scar_speed(look: Look) -> float:
    scarred = FadeConditions(
        sun=look.conditions.sun, moisturised=look.conditions.moisturised, scarred=True
    )
    return scarred.speed


def _draw_buried_hair(
    image: Float32Array, frame: Frame, shape: HeadShape, hair: Stubble, look: Look
) -> None:
    """Each hair's shaft under the skin, seen through the epidermis as a soft grey streak:
    what gives a shaved head its shadow."""
    if len(hair.roots) == 0:
        return
    cos = -(shape.normal(hair.roots) @ np.asarray(frame.view.forward))
    facing = cos > 0.0
    buried = hair.roots - hair.directions * (_BURIED_MM / 2.0)
    centres, cov, area = _segment_splats(
        frame,
        buried[facing],
        hair.directions[facing],
        np.full(int(facing.sum()), _BURIED_MM),
        _BURIED_WIDTH_MM,
        cos[facing],
        in_skin=True,
    )
    absorb = np.clip(1.0 - look.hair_linear / np.maximum(look.skin_linear, 1e-6), 0.0, 1.0)
    strength = np.ascontiguousarray(np.broadcast_to(_BURIED_SHARE * absorb, (len(area), 3)))
    absorb_bands(image, *_prepared(image, centres, cov, area, strength))


def _cover_cut_hair(
    image: Float32Array, frame: Frame, shape: HeadShape, hair: Stubble, look: Look
) -> Float32Array:
    """The cut stubble above the skin, over everything: ``image`` is multiplied by the light
    the stubble lets through, and the stubble's own colour returned as a layer to add."""
    layer = np.zeros_like(image)
    if len(hair.roots) == 0:
        return layer
    cos = -(shape.normal(hair.roots) @ np.asarray(frame.view.forward))
    facing = cos > 0.0
    mid = hair.roots + hair.directions * (hair.lengths / 2.0)[:, None]
    centres, cov, area = _segment_splats(
        frame,
        mid[facing],
        hair.directions[facing],
        hair.lengths[facing],
        hair.width_mm,
        cos[facing],
    )
    colour = np.ascontiguousarray(np.broadcast_to(look.hair_linear, (len(area), 3)))
    cover_bands(image, layer, *_prepared(image, centres, cov, area, colour), _HAIR_OPACITY)
    return layer


def _prepared(
    image: Float32Array, centres: FloatArray, cov: FloatArray, area: FloatArray, values: FloatArray
) -> tuple[FloatArray, IntArray, IntArray]:
    norm = area / (2.0 * math.pi * np.sqrt(cov[:, 0] * cov[:, 2] - cov[:, 1] ** 2))
    return prepare_splats(
        np.ascontiguousarray(centres),
        np.ascontiguousarray(cov),
        np.ascontiguousarray(norm),
        np.ascontiguousarray(values),
        np.full(len(area), 3.0),
        image.shape[0],
        image.shape[1],
    )


def _segment_splats(
    frame: Frame,
    mid: FloatArray,
    directions: FloatArray,
    lengths: FloatArray,
    width_mm: float,
    cos: FloatArray,
    *,
    in_skin: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Screen centres, covariances (px²) and areas (px²) of short segments on the skin.

    A segment in the skin (a shaft seen through it) is foreshortened like an impression,
    by the cosine of the viewing angle; stubble standing out of the skin shows more of its
    length at a grazing angle, so its area keeps 40 % at any angle."""
    up, right = np.asarray(frame.view.up), frame.view.right
    col, row, _ = frame.project(mid)
    px = frame.mm_per_px
    t = np.column_stack([directions @ right, -(directions @ up)])
    t_len = np.maximum(np.linalg.norm(t, axis=1), 1e-9)
    tu = t / t_len[:, None]
    along = (lengths * t_len) ** 2 / 12.0 / px**2
    across = width_mm**2 / 12.0 / px**2
    cov = np.column_stack(
        [
            along * tu[:, 0] ** 2 + across * (1 - tu[:, 0] ** 2) + 1.0 / 12.0,
            (along - across) * tu[:, 0] * tu[:, 1],
            along * tu[:, 1] ** 2 + across * (1 - tu[:, 1] ** 2) + 1.0 / 12.0,
        ]
    )
    seen = np.clip(cos, 0.0, 1.0) if in_skin else 0.4 + 0.6 * np.clip(cos, 0.0, 1.0)
    area = lengths * width_mm * seen / px**2
    return np.column_stack([col, row]), cov, area
