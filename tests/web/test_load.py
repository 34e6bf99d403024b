"""Holding under hostile load (smpstudio.web._load): the real client address behind a
trusted proxy only, sign-in lockout per account and per real address (never global), heavy
work refused with 503 + Retry-After instead of queueing, a CPU budget per request, and
uploads decoded at the size they are used."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from smpstudio.cli import main
from smpstudio.web import WebConfig, create_app
from smpstudio.web._load import Lane, Overloaded, TrustedProxies, checkpoint
from smpstudio.web._uploads import SKIN_SIDE_PX, ingest_photo
from tests.web.conftest import PASSWORD, World, csrf_of

PROXY = "10.0.0.1"


def _app(world: World, **config: object) -> Starlette:
    return create_app(
        world.db,
        accounts=world.accounts,
        config=WebConfig(public_clinic_id=world.a.id, preview_processes=0, **config),  # type: ignore[arg-type]
    )


def _browser(app: Starlette, peer: str = PROXY) -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(peer, 40000))


def _sign_in(c: TestClient, email: str, password: str, forwarded: str | None = None) -> int:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    token = csrf_of(c.get("/studio/sign-in", headers=headers).text)
    r = c.post(
        "/studio/sign-in",
        data={"csrf_token": token, "email": email, "password": password, "next": "/studio"},
        headers=headers,
        follow_redirects=False,
    )
    return r.status_code


# --- who the client is ------------------------------------------------------------------


def test_forwarded_for_is_read_right_to_left_and_only_from_trusted_proxies() -> None:
    proxies = TrustedProxies(["10.0.0.1", "192.168.0.0/16", "fd00::/8"])
    # the client's own claims (left) are never reached past the first untrusted address
    assert proxies.client("10.0.0.1", "1.1.1.1, 203.0.113.9") == "203.0.113.9"
    # proxies chained: skip every trusted hop
    assert proxies.client("10.0.0.1", "203.0.113.9, 192.168.4.4") == "203.0.113.9"
    assert proxies.client("10.0.0.1", "2001:db8::7, fd00::1") == "2001:db8::7"
    # not through a trusted proxy: the peer, whatever it claims
    assert proxies.client("198.51.100.7", "203.0.113.9") == "198.51.100.7"
    # a malformed entry (only the client could write it) stops the walk at the proxy
    assert proxies.client("10.0.0.1", "nonsense") == "10.0.0.1"
    assert proxies.client("10.0.0.1", "\x00, 203.0.113.9") == "203.0.113.9"
    assert proxies.client("10.0.0.1", None) == "10.0.0.1"
    assert proxies.scheme("10.0.0.1", "http", "https") == "https"
    assert proxies.scheme("198.51.100.7", "http", "https") == "http"
    assert not TrustedProxies()


def test_behind_a_trusted_proxy_the_lockout_is_per_real_address_and_account(
    fresh_world: World,
) -> None:
    app = _app(fresh_world, trusted_proxies=(PROXY,), sign_in_failures_per_minute=2)
    c = _browser(app)
    owner, desk = fresh_world.a.staff["owner"], fresh_world.a.staff["front-desk"]
    # one visitor fails 10 times (5 × 2 per address) on unknown accounts: that address is
    # locked out, the proxy and everyone behind it are not
    for i in range(10):
        assert _sign_in(c, f"nobody{i}@x.example", "guess", "198.51.100.1") == 401
    assert _sign_in(c, "nobody@x.example", "guess", "198.51.100.1") == 429
    assert _sign_in(_browser(app), owner, PASSWORD, "198.51.100.2") == 303
    # two failures on one account, from two addresses: that account waits, from anywhere;
    # other accounts do not
    assert _sign_in(c, desk, "wrong one", "198.51.100.3") == 401
    assert _sign_in(c, desk, "wrong two", "198.51.100.4") == 401
    assert _sign_in(c, desk, PASSWORD, "198.51.100.5") == 429
    assert _sign_in(_browser(app), owner, PASSWORD, "198.51.100.5") == 303


def test_without_a_trusted_proxy_forwarded_for_changes_nothing(fresh_world: World) -> None:
    app = _app(fresh_world, sign_in_failures_per_minute=2)
    c = _browser(app, peer="198.51.100.9")
    for i in range(10):  # a different made-up address every time: still one client
        assert _sign_in(c, f"nobody{i}@x.example", "guess", f"203.0.113.{i}") == 401
    assert _sign_in(c, "nobody@x.example", "guess", "203.0.113.99") == 429
    assert (
        _sign_in(_browser(app, peer="198.51.100.10"), fresh_world.a.staff["owner"], PASSWORD) == 303
    )


# --- heavy work: lanes and budgets ------------------------------------------------------


def test_a_lane_admits_its_slots_and_refuses_the_next_at_once() -> None:
    lane = Lane("test", threads=1, slots=2, cpu_budget_s=10)
    release = threading.Event()

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(lane.run(release.wait, 10))
        second = asyncio.ensure_future(lane.run(release.wait, 10))  # waits for the thread
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(Overloaded) as refused:
            await lane.run(release.wait, 10)
        # refused at once, not queued until the 10 s budget ran out (a wide bound: a loaded CI)
        assert time.perf_counter() - started < 5
        assert refused.value.retry_after >= 1
        assert lane.busy == 2
        release.set()
        results = list(await asyncio.gather(first, second))
        results.append(await lane.run(lambda: "again"))
        return results

    try:
        assert asyncio.run(scenario()) == [True, True, "again"]
        assert (lane.busy, lane.refused) == (0, 1)
    finally:
        lane.close()


def test_a_request_past_its_cpu_budget_is_cut_at_the_next_checkpoint() -> None:
    lane = Lane("test", threads=1, slots=1, cpu_budget_s=0.02)

    def burn() -> str:
        until = time.thread_time() + 0.1
        while time.thread_time() < until:
            pass
        checkpoint()
        return "too late"

    try:
        with pytest.raises(Overloaded, match="computing time"):
            asyncio.run(lane.run(burn))
        assert asyncio.run(lane.run(lambda: "cheap")) == "cheap"
        checkpoint()  # outside a lane: no budget
    finally:
        lane.close()


def _post_look(c: TestClient, photo: bytes | None = None) -> int:
    page = c.get("/preview")
    data = {
        "csrf_token": csrf_of(page.text),
        "pattern": "norwood-5",
        "hairline": "soft",
        "skin": "#a07e56",
        "hair": "dark-brown",
    }
    files = {"photo": ("me.png", photo, "image/png")} if photo else None
    r = c.post("/preview", data=data, files=files)
    if r.status_code == 503:
        assert int(r.headers["retry-after"]) >= 1
        assert "busy" in r.text
    return r.status_code


def test_visitors_get_503_when_their_lane_is_full_and_designers_still_render(
    fresh_world: World,
) -> None:
    app = _app(fresh_world, public_heavy_requests=1)
    studio = app.state.studio
    visitor = _browser(app, peer="198.51.100.20")
    designer = _browser(app, peer="127.0.0.1")
    assert _sign_in(designer, fresh_world.a.staff["practitioner"], PASSWORD) == 303
    token = csrf_of(designer.get("/studio").text)
    studio.public_lane._enter()  # another visitor's preview is being made
    try:
        assert _post_look(visitor) == 503
        r = designer.post(
            "/studio/preview",
            json={"pattern": "norwood-5", "height_cm": 7.5, "size": 384},
            headers={"x-csrf-token": token},
        )
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg"
    finally:
        studio.public_lane._leave()
    assert _post_look(visitor) == 200


def test_a_visitor_request_past_its_cpu_budget_gets_503(fresh_world: World) -> None:
    app = _app(fresh_world, public_cpu_budget_s=1e-4)
    assert _post_look(_browser(app, peer="198.51.100.21")) == 503


# --- uploads decoded at the size they are used ------------------------------------------


def _jpeg(size: tuple[int, int], orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, "#a07e56")
    image.paste((20, 60, 200), (0, 0, size[0] // 2, size[1] // 10))  # a mark top-left
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def test_a_large_jpeg_is_decoded_small_and_still_upright() -> None:
    data = _jpeg((6000, 2000), orientation=6)  # stored sideways, shown rotated 90°
    small = ingest_photo(data, side=SKIN_SIDE_PX)
    height, width = small.pixels.shape[:2]
    assert height == SKIN_SIDE_PX  # upright: tall
    assert abs(width - SKIN_SIDE_PX * 2000 / 6000) < 1
    full = ingest_photo(data, side=8000)
    assert full.pixels.shape[:2] == (6000, 2000)
    # the same photo at either size: the mark is top-right after rotation, same colour
    for upload in (small, full):
        h, w = upload.pixels.shape[:2]
        assert upload.pixels[h // 40, w - 2, 2] > 150
        assert np.abs(upload.pixels[h // 2, w // 2].astype(int) - (160, 126, 86)).max() <= 3


def test_a_large_png_is_box_reduced_before_anything_else() -> None:
    image = Image.new("RGB", (7000, 7000), "#a07e56")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 300_000  # 49 MP in a small file: the hostile case
    upload = ingest_photo(buffer.getvalue(), side=SKIN_SIDE_PX)
    assert max(upload.pixels.shape[:2]) == SKIN_SIDE_PX  # 7000 // 6 = 1166, then 1024
    assert np.all(upload.pixels[SKIN_SIDE_PX // 2, SKIN_SIDE_PX // 2] == (160, 126, 86))
    assert np.all(upload.pixels[0, 0] == upload.pixels[-1, -1])


# --- plain HTTP on a non-local address ----------------------------------------------------


def test_plain_http_on_a_lan_address_says_the_studio_needs_https(fresh_world: World) -> None:
    app = _app(fresh_world)
    lan = TestClient(app, base_url="http://192.168.1.20:8000", client=("192.168.1.30", 5000))
    page = lan.get("/studio/sign-in")
    assert "needs HTTPS" in page.text
    assert "--insecure-http" in page.text
    r = lan.post(
        "/studio/sign-in",
        data={
            "csrf_token": csrf_of(page.text),
            "email": fresh_world.a.staff["owner"],
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert r.status_code == 403  # the browser dropped the Secure form cookie over HTTP
    assert "needs HTTPS" in r.text
    assert "form expired" not in r.text
    # the same address over HTTPS, on this machine, or HTTPS at a trusted proxy: no notice
    for client in (
        TestClient(app, base_url="https://192.168.1.20"),
        TestClient(app, base_url="http://127.0.0.1:8000"),
        TestClient(app, base_url="http://localhost:8000"),
    ):
        assert "needs HTTPS" not in client.get("/studio/sign-in").text
    proxied = _app(fresh_world, trusted_proxies=(PROXY,))
    behind = TestClient(proxied, base_url="http://studio.clinic.example", client=(PROXY, 1))
    r = behind.get("/studio/sign-in", headers={"x-forwarded-proto": "https"})
    assert "needs HTTPS" not in r.text
    # a visitor cannot claim HTTPS without a trusted proxy
    r = lan.get("/studio/sign-in", headers={"x-forwarded-proto": "https"})
    assert "needs HTTPS" in r.text


def test_insecure_http_signs_in_over_plain_http_on_a_trusted_lan(fresh_world: World) -> None:
    app = _app(fresh_world, secure_cookies=False)
    lan = TestClient(app, base_url="http://192.168.1.20:8000", client=("192.168.1.30", 5000))
    assert "needs HTTPS" not in lan.get("/studio/sign-in").text
    assert _sign_in(lan, fresh_world.a.staff["owner"], PASSWORD) == 303
    assert lan.get("/studio", follow_redirects=False).status_code == 200


def test_serve_refuses_a_trusted_proxy_that_is_not_an_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "clinic.sqlite3"
    code = main(["serve", "--db", str(db), "--trusted-proxy", "proxy.example"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "--trusted-proxy" in err
    assert "'proxy.example' is not an IP address or network" in err
    assert not db.exists()  # refused before anything was created


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("P", "PNG"),
        ("LA", "PNG"),
        ("I;16", "PNG"),
        ("1", "PNG"),
        ("RGBA", "WEBP"),
        ("CMYK", "JPEG"),
        ("L", "JPEG"),
    ],
)
def test_every_image_mode_decodes_at_the_size_asked(mode: str, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (3000, 1000)).save(buffer, fmt)
    upload = ingest_photo(buffer.getvalue(), side=400)
    assert upload.pixels.shape == (133, 400, 3)
