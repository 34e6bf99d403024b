"""What the client is told: the dated aftercare timeline (every rule a clinic setting) and the
guidance every plan and the public site carry — comfort, healing, shaving, hygiene, risks,
long-term care, the touch-up and when to call the clinic — worded once, here.

Sources are those of the shared domain reference (§): aftercare §7.1, scabs and fading
between sessions §1.3, fading and touch-ups §1.8, blurring, blue shift and laser removal
§1.9, pure carbon black §1.7. The project's own statements (about 3 out of 10 for pain,
redness gone by the next day, no downtime, new needles opened in front of the client, a
result that can last 7 to 10 years) are the brief's [U].
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from smpstudio._settings import Settings
from smpstudio.plan._model import AftercareEvent, Session, TouchUp

__all__ = [
    "AFTERCARE_KINDS",
    "LASTS_YEARS",
    "REFRESH_YEARS",
    "GuidanceSection",
    "aftercare_events",
    "client_guidance",
    "long_date",
    "touch_up_story",
]

LASTS_YEARS = (7, 10)
"""How long an SMP result can last, in years (the brief; sources agree it fades slowly)."""

REFRESH_YEARS = (3, 5)
"""When a refresh is usually booked, in years after healing (§1.8: 2–6, commonly 3–5)."""

AFTERCARE_KINDS: tuple[str, ...] = (
    "shower",
    "dry",
    "sun",
    "swim",
    "exercise",
    "until-next",
    "shave",
    "moisturise",
)
"""Aftercare rules, in the order they are listed on a day (``until-next``: several rules cut
short by the next session, e.g. the next part of a split session)."""


def long_date(day: dt.date) -> str:
    """A date as a client reads it.

    >>> long_date(dt.date(2026, 3, 6))
    '6 March 2026'
    """
    return f"{day.day} {day.strftime('%B %Y')}"


def aftercare_events(sessions: Sequence[Session], settings: Settings) -> tuple[AftercareEvent, ...]:
    """Dated aftercare for every session (docs/plan.md §4).

    A rule "for N days" holds on the session day and the N days after it; a restriction that
    would run into the next session stops the day before it (that session's aftercare takes
    over), and a rule starting on or after the next session is left out.

    Examples
    --------
    >>> from smpstudio import Settings
    >>> from smpstudio.plan import Session
    >>> day = dt.date(2026, 3, 2)
    >>> one = Session(index=1, date=day, stage=1, part=1, parts=1, purpose="", status="planned",
    ...               work=(), setup_h=0.75, work_h=1.0, duration_h=1.75, booked_h=2.0,
    ...               density_per_cm2=48.0)
    >>> [(e.kind, e.until) for e in aftercare_events([one], Settings())][:3]
    [('shower', None), ('dry', datetime.date(2026, 3, 6)), ('sun', datetime.date(2026, 3, 6))]
    """
    ordered = sorted(sessions, key=lambda s: (s.date, s.index))
    events: list[AftercareEvent] = []
    for k, session in enumerate(ordered):
        following = ordered[k + 1].date if k + 1 < len(ordered) else None
        events.extend(_session_events(session, following, settings))
    order = {kind: n for n, kind in enumerate(AFTERCARE_KINDS)}
    return tuple(sorted(events, key=lambda e: (e.date, e.session, order[e.kind])))


def _session_events(
    session: Session, following: dt.date | None, s: Settings
) -> list[AftercareEvent]:
    day0, n = session.date, session.index
    events: list[AftercareEvent] = []
    if s.aftercare_shower_before_hours > 0:
        events.append(
            AftercareEvent(
                date=day0,
                session=n,
                kind="shower",
                text=f"Before session {n}: shower and wash your scalp in the "
                f"{s.aftercare_shower_before_hours:g} hours before the appointment, since it "
                "must stay dry afterwards; come with no hair products.",
            )
        )
    sun = f"sun at most {s.aftercare_sun_hours:g} h a day, with a cap on"
    restrictions = (
        ("dry", s.aftercare_dry_days, "keep your scalp dry of water and sweat"),
        ("sun", s.aftercare_sun_days, sun),
        ("swim", s.aftercare_no_swim_days, "no swimming, sauna or steam room"),
        ("exercise", s.aftercare_no_exercise_days, "no heavy exercise"),
    )
    cut: list[str] = []
    for kind, days, rule in restrictions:
        if days <= 0:
            continue
        until = day0 + dt.timedelta(days=math.ceil(days))
        if following is not None and until >= following:
            cut.append(rule)
            continue
        tail = " Don't pick the scabs." if kind == "dry" else ""
        events.append(
            AftercareEvent(
                date=day0,
                until=until,
                session=n,
                kind=kind,
                text=f"After session {n}: {rule} until {long_date(until)}.{tail}",
            )
        )
    if following is not None and cut:
        kinds = [k for k, d, r in restrictions if r in cut]
        events.append(
            AftercareEvent(
                date=day0,
                until=following - dt.timedelta(days=1),
                session=n,
                kind=kinds[0] if len(kinds) == 1 else "until-next",
                text=f"After session {n}: {'; '.join(cut)} until session {n + 1} on "
                f"{long_date(following)}, whose aftercare then applies.",
            )
        )
    if s.aftercare_shave_from_day > 0:
        day = math.ceil(s.aftercare_shave_from_day)
        start = day0 + dt.timedelta(days=day)
        if following is None or start < following:
            events.append(
                AftercareEvent(
                    date=start,
                    session=n,
                    kind="shave",
                    text=f"Day {day} after session {n}: you may shave again from today, with an "
                    "electric foil shaver, going round any scabs; no blade razor until the "
                    "scabs have gone.",
                )
            )
    if s.aftercare_moisturise_from_day > 0:
        start = day0 + dt.timedelta(days=math.ceil(s.aftercare_moisturise_from_day))
        if following is None or start < following:
            events.append(
                AftercareEvent(
                    date=start,
                    session=n,
                    kind="moisturise",
                    text=f"Day {math.ceil(s.aftercare_moisturise_from_day)} after session {n}: "
                    "moisturise your scalp daily from today (unscented).",
                )
            )
    return events


@dataclass(frozen=True)
class GuidanceSection:
    """A heading and what the client should know under it."""

    title: str
    points: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"title": self.title, "points": list(self.points)}


def touch_up_story(touch_up: TouchUp | None = None, *, contrast_drop: float = 0.3) -> str:
    """The one touch-up story, with the client's own date when a plan gives it.

    >>> touch_up_story()[:60]
    'The result can last 7 to 10 years. The pigment fades slowly '
    """
    low, high = LASTS_YEARS
    r_low, r_high = REFRESH_YEARS
    story = (
        f"The result can last {low} to {high} years. The pigment fades slowly all the time — "
        "the body clears a little of it and sunlight breaks it down — so most clients book a "
        f"refresh well before then, usually {r_low} to {r_high} years after healing, to keep "
        "the dots dark and crisp enough to read as stubble."
    )
    if touch_up is None:
        return story
    return (
        f"{story} For your skin and shade we suggest around {touch_up.date:%B %Y}: about "
        f"{touch_up.years:.1f} years after healing, the healed dots will have lost about "
        f"{contrast_drop:.0%} of their contrast. A lot of sun brings it forward, scars too."
    )


def client_guidance(
    settings: Settings | None = None,
    *,
    contact: str | None = None,
    touch_up: TouchUp | None = None,
) -> tuple[GuidanceSection, ...]:
    """What every client is told, in plain words: the plan's PDF and the public site.

    ``contact`` is how to reach the clinic (its name, phone, e-mail), from the clinic's
    settings; ``touch_up`` the plan's, for the client's own refresh date.

    >>> [section.title for section in client_guidance(contact="Example Clinic, 020 7946 0000")]
    ['What to expect', 'Hygiene', 'Looking after it for years', 'Risks', 'When to call us']
    """
    s = settings or Settings()
    call = f"call {contact}" if contact else "call your clinic"
    return (
        GuidanceSection(
            "What to expect",
            (
                "Comfort: most clients rate it about 3 out of 10 — a scratching feeling. A "
                "numbing cream or local anaesthetic is available if you want it. There is no "
                "downtime: you can go back to work the same day.",
                "Redness: the scalp is a little red straight after a session; it is gone by "
                "the next day.",
                "Between sessions: tiny scabs form over the dots and flake off by themselves "
                "within about a week — don't pick them. The dots then look lighter and smaller "
                "than on the day. That fading is normal: the next session builds on it.",
                _shaving(s),
            ),
        ),
        GuidanceSection(
            "Hygiene",
            (
                "Every needle cartridge is new, sterile and single-use, and is opened in front "
                "of you. Your practitioner wears fresh gloves, cleans your scalp with an "
                "antiseptic, and pours the pigment into new cups that are thrown away after "
                "your session.",
            ),
        ),
        GuidanceSection(
            "Looking after it for years",
            (
                "Sun: once healed, protect your scalp from strong sun for good — a hat, or a "
                "sunscreen of SPF 30 to 50. Sunlight is one of the two things that fade the "
                "pigment.",
                touch_up_story(touch_up, contrast_drop=s.plan_touch_up_contrast_drop),
            ),
        ),
        GuidanceSection(
            "Risks",
            (
                "SMP is a permanent cosmetic tattoo. Done well, the dots stay small and "
                "grey-black. What can go wrong: blurring, when pigment placed too deep or too "
                "densely spreads and the dots merge; a blue shift, from pigment placed too "
                "deep or from tattoo inks mixed from several colours (we use pure carbon "
                "black, which does not turn blue); and, rarely, an allergic or skin reaction.",
                "Pigment that is not wanted can be lightened or removed with laser treatment, "
                "over several sessions.",
            ),
        ),
        GuidanceSection(
            "When to call us",
            (
                f"After the first day, {call} if the redness spreads or grows, the scalp "
                "swells, feels hot or throbs, there is pus or yellow crusting, or you have a "
                "fever or feel unwell: these can be signs of infection. If you cannot reach "
                "us, see your doctor; in an emergency, call the emergency services.",
            ),
        ),
    )


def _shaving(s: Settings) -> str:
    if s.aftercare_shave_from_day <= 0:
        return (
            "Shaving: ask your practitioner when you may shave again; no blade razor while "
            "scabs remain."
        )
    return (
        f"Shaving: from day {math.ceil(s.aftercare_shave_from_day)} after each session you may "
        "shave again with an electric foil shaver, going round any scabs; no blade razor until "
        "the scabs have gone."
    )
