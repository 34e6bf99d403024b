"""The head as a person: the MakeHuman head fitted to the design surface, and its morphs."""

from __future__ import annotations

import numpy as np
import pytest

from smpstudio._errors import HeadMorphError, InputError
from smpstudio.head import FaceMorphs, HeadMeasures, HeadShape, VirtualHead
from smpstudio.head._face import REGIONS, face_mesh, morphed_vertices


def test_the_mesh_has_a_face_ears_eyes_and_a_scalp(head_m: VirtualHead) -> None:
    mesh = face_mesh(head_m.shape)
    counts = {name: int((mesh.region == code).sum()) for name, code in REGIONS.items()}
    assert all(n > 500 for n in counts.values()), counts
    assert (mesh.brow > 0.5).sum() > 100
    assert (mesh.lips > 0.5).sum() > 100
    assert np.allclose(np.linalg.norm(mesh.normals, axis=1), 1.0)


def test_the_scalp_of_the_mesh_is_the_design_surface(head_m: VirtualHead) -> None:
    mesh = face_mesh(head_m.shape)
    scalp = mesh.vertices[mesh.region == REGIONS["scalp"]]
    assert np.abs(head_m.shape.gauge(scalp) - 1.0).max() < 1e-9
    # the natural scalp above the ears is all snapped: every hair and dot lies on the mesh
    top = scalp[:, 1] > 0.3 * head_m.shape.b_up
    assert top.sum() > 0.9 * (mesh.vertices[:, 1] > 0.3 * head_m.shape.b_up).sum()
    rms, largest = mesh.cranium_gap_mm
    assert 0.0 < rms < largest < 30.0


@pytest.mark.parametrize("preset", ["S", "M", "L"])
def test_the_mesh_is_scaled_to_the_measures(preset: str) -> None:
    head = VirtualHead.preset(preset)
    m = head.measures
    marks = face_mesh(head.shape).landmarks
    assert marks["glabella"] == pytest.approx((0.0, 0.0, m.length_mm / 2), abs=1e-6)
    assert marks["opisthocranion"] == pytest.approx((0.0, 0.0, -m.length_mm / 2), abs=1e-6)
    assert marks["vertex"][1] == pytest.approx(m.vertex_height_mm, abs=0.5)
    assert marks["menton"][1] == pytest.approx(-m.face_height_mm, abs=1e-6)
    assert marks["lateral_canthus_left"][0] > 0 > marks["lateral_canthus_right"][0]
    assert marks["tragion_left"][1] < marks["lateral_canthus_left"][1] < 0.0


def test_sex_and_age_change_the_face_not_the_scalp() -> None:
    measures = HeadMeasures.preset("M")
    man = HeadShape.from_measures(measures)
    woman = HeadShape.from_measures(measures, face=FaceMorphs(sex="female"))
    old = HeadShape.from_measures(measures, face=FaceMorphs(age_years=80))
    assert man != woman != old
    assert (man.a, man.c, man.b_up) == (woman.a, woman.c, woman.b_up)
    for other in (woman, old):
        a, b = face_mesh(man), face_mesh(other)
        face = a.region == REGIONS["face"]
        assert np.abs(a.vertices[face] - b.vertices[face]).max() > 2.0
        scalp = b.vertices[b.region == REGIONS["scalp"]]
        assert np.abs(other.gauge(scalp) - 1.0).max() < 1e-9


def test_morphs_move_the_mesh() -> None:
    base = morphed_vertices(FaceMorphs())
    for name in ("african", "asian", "head-square"):
        moved = morphed_vertices(FaceMorphs(morphs={name: 1.0}))
        assert np.abs(moved - base).max() > 1.0, name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sex": "other"}, "sex 'other' is unknown: use male or female"),
        ({"age_years": 12}, "age 12 years is outside 18–90 years"),
        ({"age_years": float("nan")}, "age must be a number"),
        ({"morphs": {"elf": 1.0}}, "unknown head morph 'elf': choose from african, asian"),
        ({"morphs": {"head-round": 1.5}}, "head morph head-round=1.5 is outside 0–1"),
        ({"morphs": {"asian": 0.0}}, "the ancestry morphs (african, asian, caucasian) are all 0"),
    ],
)
def test_bad_face_options_are_refused_in_one_line(options: dict[str, object], message: str) -> None:
    with pytest.raises(HeadMorphError) as caught:
        FaceMorphs(**options)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_face_options_round_trip_and_hash() -> None:
    face = FaceMorphs(sex="female", age_years=52, morphs={"head-oval": 0.5, "asian": 1})
    again = FaceMorphs(**face.to_dict())
    assert again == face
    assert hash(again) == hash(face)
    assert face.ancestry_weights() == {"african": 0.0, "asian": 1.0, "caucasian": 0.0}
    assert face.age_weights()["old"] == pytest.approx(27 / 65)
    with pytest.raises(TypeError):
        face.morphs["asian"] = 0.5  # type: ignore[index]


def test_a_design_records_and_reloads_its_face() -> None:
    import json

    from smpstudio._design import design, design_from_inputs

    plain = design(pattern="norwood-3", hairline="soft", seed=1)
    assert "face" not in json.loads(plain.to_json())["inputs"]  # saved designs read as before
    d = design(
        pattern="norwood-3",
        hairline="soft",
        seed=1,
        sex="female",
        age_years=60,
        head_morphs={"african": 1.0, "head-round": 0.4},
    )
    inputs = json.loads(d.to_json())["inputs"]
    assert inputs["face"] == {
        "sex": "female",
        "age_years": 60.0,
        "morphs": {"african": 1.0, "head-round": 0.4},
    }
    again = design_from_inputs(inputs)
    assert again.to_json() == d.to_json()
    assert again.head.shape == d.head.shape != plain.head.shape
    assert again.summary == plain.summary  # the face changes no design number
    with pytest.raises(InputError, match="unknown keys eyes"):
        design_from_inputs({**inputs, "face": {"eyes": "blue"}})


@pytest.mark.parametrize("preset", ["S", "M", "L"])
def test_the_drawn_canthi_lie_on_the_canthus_lines(preset: str) -> None:
    head = VirtualHead.preset(preset)
    marks = head.face_landmarks
    half = head.measures.canthal_width_mm / 2.0
    assert marks["lateral_canthus_left"][0] == pytest.approx(half, abs=0.05)
    assert marks["lateral_canthus_right"][0] == pytest.approx(-half, abs=0.05)


def test_face_options_survive_pickle_and_copy() -> None:
    """The live preview sends designs to worker processes."""
    import copy
    import pickle

    face = FaceMorphs(sex="female", morphs={"asian": 1.0})
    for again in (pickle.loads(pickle.dumps(face)), copy.deepcopy(face)):
        assert again == face
        assert hash(again) == hash(face)
        with pytest.raises(TypeError):
            again.morphs["asian"] = 0.5  # type: ignore[index]
