"""Stock, lot recall and a client's messages through the studio's pages: refusals come back
with one message and nothing saved, roles are enforced, another clinic's lot is not found."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

from starlette.testclient import TestClient

from smpstudio.clinic import PigmentUse
from tests.web.conftest import PATCH_TESTED_PIGMENT, World, csrf_of, rid


def _post(c: TestClient, path: str, data: dict[str, str], **kw: Any) -> Any:
    token = csrf_of(c.get("/studio/stock").text)
    return c.post(path, data={"csrf_token": token, **data}, **kw)


def _stocked(world: World) -> tuple[int, int]:
    r = world.a.records
    item = r.add_stock_item("pigment", f"Ink {world.a.id}-{len(r.stock_items())}", low_stock_at=2)
    lot = r.receive_stock(item.id, lot=f"W-{item.id}", expires_on=date(2099, 1, 1), quantity=10)
    return item.id, lot.id


def test_the_front_desk_receives_stock_and_a_negative_count_is_refused(world: World) -> None:
    c = world.as_role("front-desk")
    item_id, lot_id = _stocked(world)
    page = c.get("/studio/stock")
    assert page.status_code == 200
    assert "Recall by lot" not in page.text  # not for the front desk
    done = _post(
        c,
        "/studio/stock/receive",
        {
            "item_id": rid(world, item_id),
            "lot": "W-NEW",
            "expires_on": "2099-02-01",
            "quantity": "3",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    refused = _post(
        c, f"/studio/stock/lots/{rid(world, lot_id)}/count", {"counted": "-2", "reason": "count"}
    )
    assert refused.status_code == 422
    assert "A stock count cannot be negative (got -2 mL" in html.unescape(refused.text)
    lots = {lot.id: lot for item in world.a.records.stock_items() for lot in item.lots}
    assert lots[lot_id].quantity == 10.0
    assert c.get("/studio/recall").status_code == 403


def test_another_clinics_lot_is_not_found(world: World) -> None:
    _, lot_id = _stocked(world)
    c = world.as_role("owner", clinic="b")
    answer = _post(
        c, f"/studio/stock/lots/{rid(world, lot_id)}/count", {"counted": "0", "reason": "count"}
    )
    assert answer.status_code == 404


def test_recall_finds_the_clients_of_a_lot(world: World) -> None:
    r = world.a.records
    pid = world.new_patient()
    r.record_session(
        pid,
        practitioner_id=world.a.practitioner_id,
        performed_on=r.today(),
        duration_minutes=120,
        pigments=[PigmentUse(PATCH_TESTED_PIGMENT, "RC-1", date(2099, 1, 1), water_ml=4)],
        needle_lots=["RN-1"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
    )
    c = world.as_role("practitioner")
    token = csrf_of(c.get("/studio/recall").text)
    found = c.post("/studio/recall", data={"csrf_token": token, "lot": "RC-1"})
    assert found.status_code == 200
    assert "1 client received lot RC-1" in found.text
    assert f"/studio/patients/{rid(world, pid)}" in found.text
    empty = c.post("/studio/recall", data={"csrf_token": token, "lot": "NOBODY"})
    assert "0 clients received lot NOBODY" in empty.text
    blank = c.post("/studio/recall", data={"csrf_token": token, "lot": " "})
    assert blank.status_code == 422
    assert "Pigment batch is required" in blank.text


def test_the_clients_page_shows_the_delivery_log_and_takes_an_opt_out(world: World) -> None:
    r = world.a.records
    pid = world.new_patient()
    start = r.now() + timedelta(days=9)
    slot = r.next_free_slot(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[0],
        after=start,
        duration=timedelta(hours=3),
    )
    assert slot is not None
    r.book(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[0],
        starts_at=slot.starts_at,
        duration=timedelta(hours=3),
    )
    c = world.as_role("front-desk")
    page = c.get(f"/studio/patients/{rid(world, pid)}")
    assert "reminder 48h" in page.text
    assert page.text.count('class="badge queued"') == 2
    token = csrf_of(page.text)
    done = c.post(
        f"/studio/patients/{rid(world, pid)}/messages/opt-out",
        data={"csrf_token": token, "channel": "email", "opted_out": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert r.message_opt_outs(pid) == {"email": True, "sms": False}
    assert "E-mail: <strong>opted out</strong>" in c.get(f"/studio/patients/{rid(world, pid)}").text
    bad = c.post(
        f"/studio/patients/{rid(world, pid)}/messages/opt-out",
        data={"csrf_token": token, "channel": "fax", "opted_out": "yes"},
    )
    assert bad.status_code == 422


def test_today_lists_the_stock_to_act_on(world: World) -> None:
    r = world.a.records
    item = r.add_stock_item("needle", f"1RL {len(r.stock_items())}", low_stock_at=50)
    r.receive_stock(item.id, lot="T-1", expires_on=r.today() + timedelta(days=10), quantity=3)
    today = html.unescape(world.as_role("front-desk").get("/studio").text)
    assert "Stock to act on" in today
    assert f"{item.name} lot T-1 expires on {r.today() + timedelta(days=10)}, in 10 days" in today
    assert f"{item.name}: 3 cartridges usable, at or below the threshold of 50" in today
