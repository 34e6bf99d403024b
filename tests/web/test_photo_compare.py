"""Photos tagged by view and compared session by session, over HTTP."""

from __future__ import annotations

import io

from PIL import Image

from tests.web.conftest import World, csrf_of, rid


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 120), (shade, shade, shade)).save(buffer, "JPEG")
    return buffer.getvalue()


def _upload(c, pid: int, token: str, *, kind: str, view: str, shade: int):  # type: ignore[no-untyped-def]
    return c.post(
        f"/studio/patients/{rid(c, pid)}/photos",
        data={"csrf_token": token, "kind": kind, "view": view},
        files={"photo": ("p.jpg", _jpeg(shade), "image/jpeg")},
    )


def test_photos_of_one_view_are_compared_with_a_divider(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert "View of the head" in c.get(f"/studio/patients/{rid(world, pid)}").text
    assert "Photo stored." in _upload(c, pid, token, kind="before", view="front", shade=90).text
    assert "Photo stored." in _upload(c, pid, token, kind="after", view="front", shade=60).text
    assert "Photo stored." in _upload(c, pid, token, kind="session", view="", shade=30).text
    first, second, untold = world.a.records.photos(pid)
    assert (first.view, second.view, untold.view) == ("front", "front", None)

    page = c.get(f"/studio/patients/{rid(world, pid)}/photos/compare")
    assert page.status_code == 200
    text = page.text
    assert (
        f'id="compare-earlier" class="earlier" src="/studio/photos/{rid(world, first.id)}"' in text
    )
    assert f'id="compare-later" src="/studio/photos/{rid(world, second.id)}"' in text
    assert 'aria-current="page">Front (2)' in text
    assert "Photos without a view" in text
    assert 'id="photo-split"' in text

    # The practitioner says which view the untold photo shows; it joins that view.
    r = c.post(
        f"/studio/photos/{rid(world, untold.id)}/view",
        data={"csrf_token": csrf_of(text), "view": "top"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"].endswith(
        f"/studio/patients/{rid(world, pid)}/photos/compare?view=top"
    )
    assert world.a.records.photos(pid)[2].view == "top"
    top = c.get(f"/studio/patients/{rid(world, pid)}/photos/compare?view=top").text
    assert "One from above photo so far" in top
    assert "Photos without a view" not in top

    # The two photos are chosen; the same one on both sides is allowed.
    token = rid(world, second.id)
    chosen = c.get(
        f"/studio/patients/{rid(world, pid)}/photos/compare?view=front&a={token}&b={token}"
    ).text
    assert (
        f'id="compare-earlier" class="earlier" src="/studio/photos/{rid(world, second.id)}"'
        in chosen
    )


def test_bad_comparisons_and_views_are_refused_in_one_line(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}").text)
    _upload(c, pid, token, kind="before", view="front", shade=90)
    photo = world.a.records.photos(pid)[0]
    r = c.get(f"/studio/patients/{rid(world, pid)}/photos/compare?view=sideways")
    assert r.status_code == 422
    assert "View must be one of front, three-quarter" in r.text
    r = c.get(
        f"/studio/patients/{rid(world, pid)}/photos/compare?view=top&a={rid(world, photo.id)}"
    )
    assert r.status_code == 422
    assert "is not among the photos of this view of this client" in r.text
    r = c.post(
        f"/studio/photos/{rid(world, photo.id)}/view", data={"csrf_token": token, "view": "crown"}
    )
    assert r.status_code == 422
    assert world.a.records.photos(pid)[0].view == "front"  # nothing changed
    r = _upload(c, pid, token, kind="before", view="crown", shade=20)
    assert "Choose the view of the head" in r.text
    assert len(world.a.records.photos(pid)) == 1
    # Another clinic's photo is not found; front desk does not see clinical photos.
    other = world.as_role("practitioner", clinic="b")
    r = other.post(
        f"/studio/photos/{rid(world, photo.id)}/view",
        data={"csrf_token": csrf_of(other.get("/studio").text), "view": "top"},
    )
    assert r.status_code == 404
    assert world.as_role("front-desk").get(
        f"/studio/patients/{rid(world, pid)}/photos/compare"
    ).status_code in (403, 404)
