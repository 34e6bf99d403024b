"""Real-browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against a
real uvicorn server on loopback.

- A practitioner signs in, adds a client, drags the hairline and sees the preview change,
  saves the design, plans, downloads the PDF and books a session.
- A visitor uses the cost estimator and sends a consultation request.
- axe-core scans every page; no serious or critical violation is allowed. The strict CSP
  is on for the flows (any "Refused to …" console message fails them); the scan's browser
  context bypasses it only to inject axe.
- Screenshots of every page go to ``$SMPSTUDIO_SCREENSHOTS`` (``docs/screenshots`` when
  refreshing the documentation), else to a temporary folder.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from tests.web.conftest import (
    BOOKING_DAYS,
    CHROMIUM,
    PASSWORD,
    LiveServer,
    World,
    needs_chromium,
    rid,
    unrid,
)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"

pytestmark = needs_chromium


def _context(browser: Browser, **kw: object) -> BrowserContext:
    return browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, **kw)  # type: ignore[arg-type]


def _watch_csp(page: Page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Refused to" in m.text else None)
    return refused


def _sign_in(page: Page, base: str, email: str, path: str = "/studio") -> None:
    page.goto(f"{base}/studio/sign-in?next={path}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{path}")


def test_a_practitioner_designs_plans_downloads_and_books(
    live: tuple[World, LiveServer], browser: Browser, tmp_path: Path
) -> None:
    world, server = live
    context = _context(browser)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"])
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").first.click()
    page.get_by_label("Given name").fill("Casey")
    page.get_by_label("Family name").fill("Browser")
    page.get_by_label("Date of birth").fill("1984-07-09")
    page.get_by_label("E-mail").fill("casey@example.com")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Client added.").wait_for()
    pid = unrid(world, re.search(r"/studio/patients/([a-z2-7]{26})$", page.url)[1])
    world.a.records.record_consultation(
        pid,
        held_on=world.a.records.today(),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=dict.fromkeys(
            __import__("smpstudio.clinic", fromlist=["x"]).CONTRAINDICATION_KEYS, False
        ),
    )
    for kind in ("treatment", "photo"):
        form = world.a.records.consent_forms(kind)[-1]
        world.a.records.record_consent(
            pid, form.id, decision="granted", signed_name="Casey Browser"
        )

    page.get_by_role("link", name="Design the hairline").click()
    designer = page.locator("#designer")
    page.wait_for_function(
        "() => Number(document.getElementById('designer').dataset.renders) >= 1", timeout=60_000
    )
    first_src = page.locator("#preview").get_attribute("src")
    height_before = float(page.locator("#height_cm").input_value())
    handle = page.locator("circle.handle.mid")
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x, y - 8 * step)
        page.wait_for_timeout(25)
    page.mouse.up()
    page.wait_for_function(
        "(h) => Number(document.getElementById('height_cm').value) > h && "
        "document.getElementById('status').textContent.startsWith('Up to date')",
        arg=height_before,
        timeout=60_000,
    )
    height_after = float(page.locator("#height_cm").input_value())
    assert height_after > height_before + 0.3
    assert page.locator("#preview").get_attribute("src") != first_src
    assert int(designer.get_attribute("data-renders") or 0) >= 2
    handle.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_function(
        "(h) => Number(document.getElementById('height_cm').value) < h", arg=height_after
    )
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Up to date')"
    )
    plain_src = page.locator("#preview").get_attribute("src")
    page.get_by_label("Zone map over the preview").check()  # tinted, then saved without it
    page.wait_for_function(
        "(s) => document.getElementById('preview').getAttribute('src') !== s && "
        "document.getElementById('status').textContent.startsWith('Up to date')",
        arg=plain_src,
        timeout=60_000,
    )
    page.get_by_role("button", name=re.compile("Save as version 1")).click()
    page.get_by_text("Design version 1 saved.").wait_for()

    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}/plans/new")
    start = BOOKING_DAYS["browser"]
    page.get_by_label("First session").fill(start.isoformat())
    page.get_by_role("button", name="Make the plan").click()
    page.get_by_text("Plan version 1 saved.").wait_for(timeout=60_000)
    assert page.get_by_role("heading", name="Aftercare").is_visible()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("link", name="Download the PDF").click()
        page.get_by_role("status").get_by_text("Making the PDF").wait_for()
    page.get_by_role("status").get_by_text(re.compile(r"Ready: plan-[a-z2-7]{26}\.pdf")).wait_for()
    pdf = tmp_path / "plan.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}/book")
    page.get_by_label("Practitioner").select_option(rid(world, world.a.practitioner_id))
    page.get_by_label("Room").select_option(rid(world, world.a.room_ids[0]))
    page.get_by_label("Date").fill(start.isoformat())
    page.get_by_label("Start").fill("10:00")
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("Session booked.").wait_for()
    assert refused == [], refused
    context.close()


def test_a_visitor_estimates_the_cost_and_asks_for_a_consultation(
    live: tuple[World, LiveServer], browser: Browser
) -> None:
    world, server = live
    context = _context(browser)
    page = context.new_page()
    refused = _watch_csp(page)
    page.goto(server.url + "/")
    page.get_by_role("link", name="Cost", exact=True).click()
    page.get_by_label("My hair loss").select_option("norwood-6")
    page.get_by_role("button", name="Estimate").click()
    estimate = page.locator("#estimate")
    estimate.wait_for(timeout=60_000)
    assert re.match(r"USD [\d,]+ – [\d,]+", estimate.inner_text())
    page.get_by_role("link", name="Book a consultation").last.click()
    page.get_by_label("Your name").fill("Morgan Visitor")
    page.get_by_label("E-mail").fill("morgan@example.com")
    page.get_by_label("Anything you would like us to know").fill("Crown and front, Norwood 6.")
    page.get_by_label(re.compile("I agree that the clinic contacts me")).check()
    page.get_by_role("button", name="Send the request").click()
    page.get_by_text("your request is with us").wait_for()
    assert any(lead.name == "Morgan Visitor" for lead in world.a.records.leads())
    assert refused == [], refused
    context.close()


def _pages(world: World, pid: int, plan_id: int | None) -> list[tuple[str, str, str | None]]:
    """(name, path, role) of every page; role None for the public site."""
    pages = [
        ("site-home", "/", None),
        ("site-candidacy", "/candidacy", None),
        ("site-cost", "/cost", None),
        ("site-preview", "/preview", None),
        ("site-consultation", "/consultation", None),
        ("site-contact", "/contact", None),
        ("sign-in", "/studio/sign-in", None),
        ("today", "/studio", "owner"),
        ("clients", "/studio/patients", "owner"),
        ("client-new", "/studio/patients/new", "owner"),
        ("client-record", f"/studio/patients/{rid(world, pid)}", "owner"),
        ("client-edit", f"/studio/patients/{rid(world, pid)}/edit", "owner"),
        ("consultation", f"/studio/patients/{rid(world, pid)}/consultation", "practitioner"),
        ("designer", f"/studio/patients/{rid(world, pid)}/designer", "practitioner"),
        ("plan-new", f"/studio/patients/{rid(world, pid)}/plans/new", "practitioner"),
        ("session-log", f"/studio/patients/{rid(world, pid)}/sessions/new", "practitioner"),
        ("patch-test", f"/studio/patients/{rid(world, pid)}/patch-tests/new", "practitioner"),
        ("patch-test-reading", _unread_patch_test(world, pid), "practitioner"),
        ("book", f"/studio/patients/{rid(world, pid)}/book", "front-desk"),
        ("gallery", f"/studio/patients/{rid(world, pid)}/gallery", "practitioner"),
        ("photo-compare", f"/studio/patients/{rid(world, pid)}/photos/compare", "practitioner"),
        ("schedule", "/studio/schedule", "front-desk"),
        ("requests", "/studio/leads", "front-desk"),
        ("stock", "/studio/stock", "front-desk"),
        ("recall", "/studio/recall", "practitioner"),
        ("team", "/studio/team", "owner"),
        ("clinic", "/studio/clinic", "owner"),
        ("audit", "/studio/audit", "owner"),
        ("account", "/studio/account", "owner"),
        ("two-step", "/studio/account/two-step", "owner"),
        ("password", "/studio/account/password", "owner"),
    ]
    if plan_id is not None:
        pages.append(
            (
                "plan",
                f"/studio/patients/{rid(world, pid)}/plans/{rid(world, plan_id)}",
                "practitioner",
            )
        )
    return pages


def _unread_patch_test(world: World, pid: int) -> str:
    """The reading page of a new, unread patch test of the client."""
    records = world.a.records
    test = records.record_patch_test(
        pid,
        practitioner_id=world.a.practitioner_id,
        applied_at=records.now() - timedelta(hours=30),
        brand="Lumen Carbon",
        batch="LC-9",
        expires_on=date(2099, 1, 1),
    )
    return f"/studio/patients/{rid(world, pid)}/patch-tests/{rid(world, test.id)}/reading"


def _axe(page: Page) -> list[dict]:  # type: ignore[type-arg]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _filled_states(page: Page, base: str, name: str) -> None:
    """Show each form in its most telling state before the scan and the screenshot."""
    if name == "designer":
        page.wait_for_function(
            "() => Number(document.getElementById('designer').dataset.renders) >= 1", timeout=60_000
        )
    elif name == "site-cost":
        page.get_by_role("button", name="Estimate").click()
        page.locator("#estimate").wait_for(timeout=60_000)
    elif name == "site-preview":
        page.get_by_role("button", name="Show me").click()
        page.get_by_role("heading", name="Before and after").wait_for(timeout=60_000)
    elif name == "site-candidacy":
        for radio in page.locator("input[value=no]").all():
            radio.check()
        page.locator("input[name='q_blood-thinners'][value=yes]").check()
        page.get_by_role("button", name="See the result").click()
        page.locator(".result").wait_for()
    elif name == "consultation":
        page.get_by_label("Pattern hair loss").check()
        page.get_by_role("button", name=re.compile("Next: health")).click()
        for radio in page.locator("input[value=no]").all():
            radio.check()
        page.get_by_role("button", name="Next: outcome").click()
        page.get_by_role("heading", name=re.compile("Outcome")).wait_for()
    elif name == "gallery":
        page.wait_for_load_state("networkidle", timeout=120_000)


def test_every_page_passes_axe_and_is_photographed(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    records = world.a.records
    pid = world.new_patient()
    from smpstudio.web._preview import PreviewParams

    params = PreviewParams.parse(
        {
            "pattern": "norwood-5",
            "hairline": "soft",
            "height_cm": 7.8,
            "skin": "#a07e56",
            "hair": "black",
        }
    )
    studio = world.app.state.studio
    design = studio.preview.design(params)
    content = design.to_dict() | {"studio": {"skin": params.skin, "hair": params.hair}}
    version = records.save_design(pid, content)
    from smpstudio.web._plans import build_saved_plan

    inputs = {
        "design_version_id": version.id,
        "start": "2031-03-03",
        "sessions": 3,
        "trial": False,
        "spacing_days": 14.0,
        "time": "10:00",
        "timezone": "Europe/London",
        "skin": params.skin,
        "hair": params.hair,
        "reference": "r1",
        "issued": "2031-01-01T00:00:00+00:00",
    }
    plan = build_saved_plan(version.content, inputs)
    saved = records.save_plan(
        pid, plan.to_dict() | {"inputs": inputs}, design_version_id=version.id
    )
    records.add_lead(
        "Jamie Request",
        email="jamie@example.com",
        message="Temples receding.",
        stage="norwood-3",
        contact_consent=True,
    )
    contexts: dict[str | None, BrowserContext] = {}
    problems: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for name, path, role in _pages(world, pid, saved.id):
        if role not in contexts:
            contexts[role] = _context(browser, bypass_csp=True)
            if role is not None:
                _sign_in(contexts[role].new_page(), server.url, world.a.staff[role])
        page = contexts[role].new_page()
        page.goto(server.url + path)
        _filled_states(page, server.url, name)
        found = _axe(page)
        if found:
            problems[name] = found
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        page.close()
    for context in contexts.values():
        context.close()
    assert problems == {}, problems
    assert len(list(shots.glob("*.png"))) >= 31


def _open_designer(
    browser: Browser, world: World, server: LiveServer
) -> tuple[BrowserContext, Page, list[str]]:
    """The practitioner on the designer of the world's client, its first preview drawn, and
    the list the strict CSP's refusals go to."""
    context = _context(browser)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(
        page,
        server.url,
        world.a.staff["practitioner"],
        f"/studio/patients/{rid(world, world.a.patient_id)}/designer",
    )
    page.wait_for_function(
        "() => Number(document.getElementById('designer').dataset.renders) >= 1", timeout=60_000
    )
    return context, page, refused


def test_the_strict_csp_holds_on_the_designer(
    live: tuple[World, LiveServer], browser: Browser
) -> None:
    world, server = live
    context, page, refused = _open_designer(browser, world, server)
    page.get_by_role("button", name="Day 0").click()
    page.wait_for_function(
        "() => document.getElementById('preview').dataset.state === 'fresh'", timeout=60_000
    )
    assert refused == []
    assert shutil.which("chromium") is not None or Path(CHROMIUM).exists()
    context.close()


def test_the_designer_shows_before_and_after_on_one_image(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    context, page, refused = _open_designer(browser, world, server)
    assert page.locator("#before-image").is_hidden()
    page.get_by_label("Before and after on one image").check()
    page.wait_for_function(
        "() => !!document.getElementById('before-image').dataset.key", timeout=60_000
    )
    before = page.locator("#before-image")
    assert before.is_visible()
    assert page.locator("#compare-divider").is_visible()
    assert before.get_attribute("src") != page.locator("#preview").get_attribute("src")
    key = before.get_attribute("data-key")
    # The divider follows its slider: the before image is cut where it says.
    page.get_by_label("Where the before image ends (percent of the width)").fill("30")
    split = page.evaluate(
        "() => getComputedStyle(document.getElementById('stage')).getPropertyValue('--split')"
    )
    assert split.strip() == "30%"
    page.locator("#stage").screenshot(path=str(shots / "designer-before-after.png"))
    # Moving the hairline does not fetch another before image; a new skin tone does.
    renders = int(page.locator("#designer").get_attribute("data-renders") or 0)
    page.locator("circle.handle.mid").focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_function(
        "(n) => Number(document.getElementById('designer').dataset.renders) > n && "
        "document.getElementById('status').textContent.startsWith('Up to date')",
        arg=renders,
        timeout=60_000,
    )
    assert before.get_attribute("data-key") == key
    page.get_by_role("button", name="Monk 8").click()
    page.wait_for_function(
        "(k) => document.getElementById('before-image').dataset.key !== k",
        arg=key,
        timeout=60_000,
    )
    page.get_by_label("Before and after on one image").uncheck()
    assert before.is_hidden()
    assert refused == [], refused
    context.close()


def test_photos_of_one_view_are_compared_with_a_slider_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    from PIL import Image, ImageOps

    world, server = live
    records = world.a.records
    pid = world.new_patient()
    source = Image.open(Path(__file__).parents[1] / "data" / "photos" / "astronaut-shaved.jpg")
    for kind, view, image in (
        ("before", "front", source),
        ("after", "front", ImageOps.autocontrast(source, cutoff=4)),
        ("session", None, ImageOps.grayscale(source).convert("RGB")),
    ):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        records.add_photo(pid, buffer.getvalue(), kind=kind, view=view)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"], f"/studio/patients/{rid(world, pid)}")
    page.get_by_role("link", name="Compare photos of one view, session by session").click()
    page.wait_for_load_state("networkidle")
    earlier = page.locator("#compare-earlier")
    assert earlier.is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.get_by_label("Where the left photo ends (percent of the width)").fill("25")
    split = page.evaluate(
        "() => getComputedStyle(document.getElementById('photo-compare'))"
        ".getPropertyValue('--split')"
    )
    assert split.strip() == "25%"
    page.screenshot(path=str(shots / "photo-compare-390.png"), full_page=True)
    untold = records.photos(pid)[2]
    page.get_by_label(re.compile("View of photo session")).select_option("top")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Photo view: from above.").wait_for()
    assert records.photos(pid)[2].view == "top"
    assert untold.view is None
    assert refused == [], refused
    context.close()
    scan = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["practitioner"], f"/studio/patients/{rid(world, pid)}")
    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}/photos/compare?view=front")
    page.wait_for_load_state("networkidle")
    assert _axe(page) == []
    scan.close()


def _client_without_patch_test(world: World, given: str) -> int:
    from smpstudio.clinic import CONTRAINDICATION_KEYS

    records = world.a.records
    patient = records.add_patient(given, "Patch", date_of_birth=date(1983, 2, 1))
    records.record_consultation(
        patient.id,
        held_on=records.today() - timedelta(days=10),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=dict.fromkeys(CONTRAINDICATION_KEYS, False),
    )
    form = records.consent_forms("treatment")[-1]
    records.record_consent(patient.id, form.id, decision="granted", signed_name=given)
    return patient.id


def _log_session(page: Page, world: World) -> None:
    page.get_by_label("Practitioner").select_option(rid(world, world.a.practitioner_id))
    page.get_by_label("Brand and product").first.fill("Lumen Carbon")
    page.get_by_label("Batch / lot (label)").first.fill("LC-21")
    page.get_by_label("Expiry date").first.fill("2099-01-01")
    page.get_by_label("Water (mL)").first.fill("4")
    page.get_by_label("Lot numbers").fill("N-5")
    page.get_by_label("Every cartridge was opened in front of the client").check()
    page.get_by_role("button", name="Record the session").click()


def test_a_patch_test_is_recorded_and_read_and_clears_the_first_session(
    live: tuple[World, LiveServer], browser: Browser
) -> None:
    world, server = live
    records = world.a.records
    pid = _client_without_patch_test(world, "Robin")
    context = _context(browser)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"], f"/studio/patients/{rid(world, pid)}")
    page.get_by_role("link", name="Record a patch test").click()
    three_days_ago = records.now().astimezone(records.timezone).date() - timedelta(days=3)
    page.get_by_label("Applied by").select_option(rid(world, world.a.practitioner_id))
    page.get_by_label("Applied on").fill(three_days_ago.isoformat())
    page.get_by_label("At", exact=True).fill("09:30")
    page.get_by_label("Brand and product").fill("Lumen Carbon")
    page.get_by_label("Batch / lot (label)").fill("LC-21")
    page.get_by_label("Expiry date").fill("2099-01-01")
    page.get_by_role("button", name="Record the patch test").click()
    page.get_by_text("Patch test recorded.").wait_for()
    page.get_by_role("link", name="Record the reading").click()
    page.get_by_label("Read by").select_option(rid(world, world.a.practitioner_id))
    page.get_by_label("At", exact=True).fill("08:00")
    page.get_by_label("none", exact=True).check()
    page.get_by_role("button", name="Record the reading").click()
    page.get_by_text("Reading recorded.").wait_for()
    assert page.locator("#patch-tests .reaction-none").count() == 1
    page.get_by_role("link", name="Log a session").click()
    _log_session(page, world)
    page.get_by_text("Session recorded with its lots.").wait_for()
    assert refused == [], refused
    context.close()


def test_the_session_log_refuses_a_first_session_and_takes_an_override(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    pid = _client_without_patch_test(world, "Kai")
    context = _context(browser, bypass_csp=True)  # to inject axe into the refused form
    page = context.new_page()
    _sign_in(
        page,
        server.url,
        world.a.staff["practitioner"],
        f"/studio/patients/{rid(world, pid)}/sessions/new",
    )
    _log_session(page, world)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "The first session needs a clean patch test" in alert.inner_text()
    override = page.get_by_label("Reason to go ahead anyway (recorded and audited)")
    assert override.is_visible()
    assert _axe(page) == []
    page.screenshot(path=str(shots / "session-log-patch-test-refused.png"), full_page=True)
    override.fill("patch-tested at our other clinic last week, clear (letter on file)")
    page.get_by_role("button", name="Record the session").click()
    page.get_by_text("Session recorded with its lots.").wait_for()
    assert page.get_by_text("Without a clean patch test").is_visible()
    context.close()


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def test_stock_is_received_taken_by_a_session_counted_and_recalled_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    """The stock flow end to end on a phone-sized screen: add a pigment, receive a lot, log
    a session that draws from it, see the stock fall, have a negative count refused, count
    low and see the warning, then recall the lot and find the client."""
    world, server = live
    pid = world.new_patient()
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, bypass_csp=False)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"])
    page.get_by_role("link", name="Stock").click()
    page.get_by_label("Kind").select_option("pigment")
    page.get_by_label("Brand and product").fill("Ink Co Carbon")
    page.get_by_label("Warn at or below").fill("5")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Ink Co Carbon added to the stock list").wait_for()
    page.get_by_label("Item", exact=True).select_option(label="Ink Co Carbon (mL)")
    page.get_by_label("Lot / batch (label)").fill("IC-31")
    page.get_by_label("Expiry date").fill("2099-01-01")
    page.get_by_label("Quantity").fill("15")
    page.get_by_role("button", name="Receive").click()
    page.get_by_text("Received: lot IC-31 now has 15 in stock.").wait_for()
    _no_sideways_scroll(page)

    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}/sessions/new")
    page.get_by_label("Practitioner").select_option(rid(world, world.a.practitioner_id))
    page.get_by_label("Brand and product").first.fill("Ink Co Carbon")
    page.get_by_label("Batch / lot (label)").first.fill("IC-31")
    page.get_by_label("Expiry date").first.fill("2099-01-01")
    page.get_by_label("Water (mL)").first.fill("4")
    page.get_by_label("Drawn from the bottle (mL)").first.fill("2.5")
    page.get_by_label("Lot numbers").fill("N-7")
    page.get_by_label("Every cartridge was opened in front of the client").check()
    page.get_by_role("button", name="Record the session").click()
    page.get_by_text("Session recorded with its lots.").wait_for()

    page.get_by_role("link", name="Stock").click()
    row = page.get_by_role("row", name=re.compile("IC-31"))
    assert "12.5 mL" in row.inner_text()
    counted = page.get_by_label("What is left of Ink Co Carbon lot IC-31 (mL)")
    counted.fill("-1")
    row.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == (
        "A stock count cannot be negative (got -1 mL for Ink Co Carbon lot IC-31): count "
        "again, 0 or more"
    )
    assert "12.5 mL" in page.get_by_role("row", name=re.compile("IC-31")).inner_text()
    page.get_by_label("What is left of Ink Co Carbon lot IC-31 (mL)").fill("4")
    page.get_by_role("row", name=re.compile("IC-31")).get_by_role("button", name="Save").click()
    page.get_by_text("Lot IC-31: 4 in stock.").wait_for()
    warning = page.get_by_text("Ink Co Carbon: 4 mL usable, at or below the threshold of 5 mL")
    assert warning.is_visible()
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Recall by lot").click()
    page.get_by_label("Pigment batch or needle lot number").fill("IC-31")
    page.get_by_role("button", name="Find the clients").click()
    page.get_by_role("heading", name="1 client received lot IC-31").wait_for()
    assert page.get_by_role("link", name=re.compile(r"Sam\w+ Lee")).count() == 1
    _no_sideways_scroll(page)
    assert refused == [], refused
    context.close()

    # axe on the filled pages at 390 px (its own context: injecting axe needs the CSP off).
    scan = browser.new_context(viewport=phone, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["practitioner"], "/studio/stock")
    assert _axe(page) == []
    page.screenshot(path=str(shots / "stock-390.png"), full_page=True)
    page.goto(f"{server.url}/studio/recall")
    page.get_by_label("Pigment batch or needle lot number").fill("IC-31")
    page.get_by_role("button", name="Find the clients").click()
    page.get_by_role("heading", name="1 client received lot IC-31").wait_for()
    assert _axe(page) == []
    page.screenshot(path=str(shots / "recall-390.png"), full_page=True)
    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}")
    _no_sideways_scroll(page)
    assert _axe(page) == []
    page.screenshot(path=str(shots / "client-messages-390.png"), full_page=True)
    scan.close()
