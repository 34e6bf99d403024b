"""The photoreal renderer: states, styles, determinism, realism measures, limits."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import smpstudio
from smpstudio import InputError
from smpstudio.dots import Impressions, dilution_rule, place_impressions
from smpstudio.render import PHOTO_VIEWS, frame_for, look_for, parse_state, render_view
from smpstudio.render._raster import rasterise

SKIN, HAIR = "#d7bd96", "dark-brown"
SIZE = 384


@pytest.fixture(scope="module")
def nw5() -> tuple[smpstudio.Design, Impressions]:
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=3)
    return d, place_impressions(d, dilution=dilution_rule(SKIN, HAIR))


def _luminance(image: Image.Image) -> np.ndarray:  # type: ignore[type-arg]
    rgb = np.asarray(image, dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])  # type: ignore[no-any-return]


def _regions(d: smpstudio.Design, view: str, size: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Pixels of the treated bald scalp (target ≥ 90 % of full) and of full natural hair."""
    frame = frame_for(d.head.shape, view, size)
    geometry = rasterise(d.head.shape, frame)
    points = geometry.position.reshape(-1, 3).astype(np.float64)
    facing = -(geometry.normal.reshape(-1, 3) @ np.asarray(frame.view.forward)) > 0.9
    hit = geometry.hit.reshape(-1) & facing  # alike in lighting
    coverage = d.field.coverage(points)
    target = d.field.density(points)
    full = d.settings.density_full_per_cm2
    treated = hit & (coverage < 0.05) & (target >= 0.9 * full)
    hair = hit & (coverage > 0.95) & (target < 1.0)
    return treated.reshape(size, size), hair.reshape(size, size)


def _render(d: smpstudio.Design, imp: Impressions, state: str, view: str = "top") -> Image.Image:
    return render_view(d, imp, look_for(SKIN, HAIR), view_name=view, size=SIZE, state=state)


def test_same_inputs_give_the_same_bytes(nw5) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw5
    first = _render(d, imp, "healed").tobytes()
    assert first == _render(d, imp, "healed").tobytes()
    other = render_view(d, imp, look_for(SKIN, HAIR), view_name="top", size=SIZE, seed=99)
    assert other.tobytes() != first


def test_healed_smp_matches_the_shadow_of_shaved_hair(nw5) -> None:  # type: ignore[no-untyped-def]
    """SMP's aim: the treated scalp reads like the client's own shaved hair, neither a bare
    scalp nor darker than the hair around it."""
    d, imp = nw5
    treated, hair = _regions(d, "top", SIZE)
    assert treated.sum() > 2000
    assert hair.sum() > 1000
    before, after = _luminance(_render(d, imp, "before")), _luminance(_render(d, imp, "healed"))
    bare = before[treated].mean()
    hair_shadow = 1.0 - before[hair].mean() / bare
    smp_shadow = 1.0 - after[treated].mean() / bare
    print(f"shadow of shaved hair {hair_shadow:.3f}, of healed SMP {smp_shadow:.3f}")
    # a 0-guard buzz cut: visibly darker (a razor's shave of a day cast 0.04–0.11), yet
    # lighter than the lightest photographed buzz cut (0.63; tests/data/photos/buzz-cuts)
    assert 0.2 < hair_shadow < 0.6
    assert 0.6 * hair_shadow < smp_shadow < 1.1 * hair_shadow
    np.testing.assert_allclose(before[hair].mean(), after[hair].mean(), rtol=0.02)


def test_fresh_is_darker_and_redder_and_years_fade(nw5) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw5
    treated, _ = _regions(d, "top", SIZE)
    rgb = {
        s: np.asarray(_render(d, imp, s), dtype=np.float64)[treated].mean(axis=0)
        for s in ("before", "fresh", "healed", "year-5", "year-15")
    }
    lum = {s: float(v @ [0.2126, 0.7152, 0.0722]) for s, v in rgb.items()}
    assert lum["fresh"] < lum["healed"] < lum["year-5"] < lum["year-15"] < lum["before"]
    redness = {s: v[0] / v[1] for s, v in rgb.items()}
    assert redness["fresh"] > redness["healed"] + 0.02


def test_hairline_styles_are_clearly_different() -> None:
    images = {}
    for style in ("soft", "medium", "defined"):
        d = smpstudio.design(pattern="norwood-4", hairline=style, seed=2)
        imp = place_impressions(d, dilution=dilution_rule(SKIN, HAIR))
        images[style] = _luminance(_render(d, imp, "healed", view="front"))
    for a, b in (("soft", "medium"), ("medium", "defined"), ("soft", "defined")):
        scalp = slice(0, images[a].shape[0] // 2)  # the front view shows the face below
        changed = np.abs(images[a][scalp] - images[b][scalp]) > 0.01
        assert changed.mean() > 0.01, (a, b)


@pytest.mark.parametrize("view", PHOTO_VIEWS)
def test_every_view_shows_the_head_in_frame(nw5, view: str) -> None:  # type: ignore[no-untyped-def]
    d, _ = nw5
    geometry = rasterise(d.head.shape, frame_for(d.head.shape, view, 128))
    share = geometry.hit.mean()
    assert 0.3 < share < (0.99 if view == "part" else 0.95)  # the part view: a close-up
    assert not geometry.hit[0].all()  # the top of the head is inside the frame


def test_before_needs_no_impressions(nw5) -> None:  # type: ignore[no-untyped-def]
    d, _ = nw5
    image = render_view(d, None, look_for(SKIN, HAIR), view_name="back", size=64, state="before")
    assert image.size == (64, 64)
    assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"view_name": "side"}, "unknown view 'side'"),
        ({"size": 63}, "63 px is outside 64–8192"),
        ({"size": 8193}, "8193 px is outside 64–8192"),
        ({"state": "year-20.01"}, "unknown state"),
        ({"state": "year--1"}, "unknown state"),
        ({"state": "tomorrow"}, "unknown state"),
    ],
)
def test_bad_options_are_refused(nw5, kwargs: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw5
    options: dict[str, object] = {"view_name": "top", "size": 64, "state": "healed", **kwargs}
    with pytest.raises(InputError, match=message):
        render_view(d, imp, look_for(SKIN, HAIR), **options)  # type: ignore[arg-type]


def test_states_parse_at_their_limits() -> None:
    assert parse_state("year-20").years == 20.0
    assert parse_state("YEAR-0").label == "year-0"
    assert parse_state(" Fresh ").name == "fresh"


def test_healed_state_needs_the_impressions(nw5) -> None:  # type: ignore[no-untyped-def]
    d, _ = nw5
    with pytest.raises(InputError, match="needs the impressions"):
        render_view(d, None, look_for(SKIN, HAIR), view_name="top", size=64)


@pytest.mark.parametrize(("skin", "hair"), [("#d7bd96", "auburn"), ("#zzzzzz", "black")])
def test_bad_colours_are_refused(skin: str, hair: str) -> None:
    with pytest.raises(InputError):
        look_for(skin, hair)
