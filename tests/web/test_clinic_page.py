"""The owner edits the clinic's details; the public contact page shows them."""

from __future__ import annotations

import html

from tests.web.conftest import World, csrf_of


def test_the_owner_changes_the_details_and_the_contact_page_shows_them(
    fresh_world: World,
) -> None:
    world = fresh_world
    c = world.as_role("owner")
    form = c.get("/studio/clinic")
    assert form.status_code == 200
    assert 'name="opening_hours"' in form.text
    values = {
        "csrf_token": csrf_of(form.text),
        "name": "Greek Street SMP",
        "timezone": "Europe/London",
        "address": "12 Greek Street\nLondon W1D 4DH",
        "phone": "+44 20 7946 0111",
        "email": "desk@greek-street.example",
        "opening_hours": "Tue–Sat 10:00–19:00",
    }
    saved = c.post("/studio/clinic", data=values, follow_redirects=False)
    assert saved.status_code == 303
    page = c.get("/studio/clinic").text
    assert "Clinic details saved." in page
    assert "Greek Street SMP" in page  # the top bar shows the new name at once
    public = world.client().get("/contact").text
    for text in ("Greek Street SMP", "12 Greek Street", "+44 20 7946 0111", "Tue–Sat 10:00–19:00"):
        assert text in html.unescape(public)
    entry = world.a.records.audit_trail(limit=5)
    assert any(e.object_type == "clinic" and e.detail.startswith("changed name") for e in entry)


def test_a_bad_address_is_refused_and_nothing_is_saved(fresh_world: World) -> None:
    world = fresh_world
    c = world.as_role("owner")
    token = csrf_of(c.get("/studio/clinic").text)
    before = {x.id: x.name for x in world.db.clinics()}[world.a.id]
    refused = c.post(
        "/studio/clinic",
        data={"csrf_token": token, "name": "Renamed", "timezone": "Europe/London",
              "email": "nope"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Clinic e-mail 'nope' is not an e-mail address" in html.unescape(refused.text)
    assert {x.id: x.name for x in world.db.clinics()}[world.a.id] == before


def test_only_the_owner_edits_the_clinic(world: World) -> None:
    for role in ("practitioner", "front-desk"):
        assert world.as_role(role).get("/studio/clinic").status_code == 403
