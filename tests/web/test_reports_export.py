"""A client's export and erasure through the studio: owner only, the zip downloads with
every record, a wrong confirmation is one message and nothing erased, another clinic's
client is not found, the erasure leads back to the client list."""

from __future__ import annotations

import html
import io
import json
import zipfile

from tests.web.conftest import World, csrf_of, rid, unrid


def test_the_owner_exports_and_erases_a_client(world: World) -> None:
    pid = world.new_patient()
    owner = world.as_role("owner")
    assert (
        f'href="/studio/patients/{rid(world, pid)}/export"'
        in owner.get(f"/studio/patients/{rid(world, pid)}").text
    )
    page = owner.get(f"/studio/patients/{rid(world, pid)}/export")
    assert page.status_code == 200
    download = owner.get(f"/studio/patients/{rid(world, pid)}/export.zip")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert (
        f'filename="client-{rid(world, pid)}-export.zip"' in download.headers["content-disposition"]
    )
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    document = json.loads(archive.read("client.json"))
    assert unrid(world, document["client"]["id"]) == pid  # a token, as in the URLs
    assert document["client"]["id"] == rid(world, pid)
    assert len(document["records"]["consultations"]) == 1
    assert archive.read("summary.pdf").startswith(b"%PDF")

    token = csrf_of(page.text)
    wrong = owner.post(
        f"/studio/patients/{rid(world, pid)}/erase",
        data={"csrf_token": token, "confirm": "Someone Else"},
    )
    assert wrong.status_code == 422
    assert "The name typed does not match the client&#39;s record" in wrong.text
    assert world.a.records.patient(pid).id == pid
    name = f"{world.a.records.patient(pid).given_name} Lee"
    done = owner.post(
        f"/studio/patients/{rid(world, pid)}/erase",
        data={"csrf_token": token, "confirm": name},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/studio/patients"
    listing = owner.get("/studio/patients")
    assert f"records and 0 photos of {name}." in html.unescape(listing.text)
    assert f"client {pid}" not in listing.text
    assert owner.get(f"/studio/patients/{rid(world, pid)}").status_code == 404
    assert owner.get(f"/studio/patients/{rid(world, pid)}/export.zip").status_code == 404


def test_only_the_owner_of_the_clients_clinic(world: World) -> None:
    pid = world.new_patient()
    practitioner = world.as_role("practitioner")
    assert "/export" not in practitioner.get(f"/studio/patients/{rid(world, pid)}").text
    assert practitioner.get(f"/studio/patients/{rid(world, pid)}/export").status_code == 403
    assert practitioner.get(f"/studio/patients/{rid(world, pid)}/export.zip").status_code == 403
    token = csrf_of(practitioner.get("/studio").text)
    refused = practitioner.post(
        f"/studio/patients/{rid(world, pid)}/erase", data={"csrf_token": token, "confirm": "x"}
    )
    assert refused.status_code == 403
    other = world.as_role("owner", clinic="b")
    assert other.get(f"/studio/patients/{rid(world, pid)}/export").status_code == 404
    assert other.get(f"/studio/patients/{rid(world, pid)}/export.zip").status_code == 404
    token = csrf_of(other.get("/studio").text)
    answer = other.post(
        f"/studio/patients/{rid(world, pid)}/erase", data={"csrf_token": token, "confirm": "x"}
    )
    assert answer.status_code == 404
    assert world.a.records.patient(pid).id == pid
