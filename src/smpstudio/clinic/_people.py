"""Practitioners (certification, hygiene attestations, availability), rooms and patients."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from smpstudio._errors import ClinicError
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import (
    AvailabilityWindow,
    HygieneAttestation,
    Patient,
    Practitioner,
    Room,
    TimeOff,
)
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import (
    check_aware,
    check_date,
    check_email,
    check_int,
    check_phone,
    check_text,
)

__all__ = ["MIN_CLIENT_AGE_YEARS", "PeopleService"]

MIN_CLIENT_AGE_YEARS = 18
"""Youngest client accepted: SMP is a permanent cosmetic tattoo for adults."""

_PATIENT_FIELDS = ("given_name", "family_name", "date_of_birth", "email", "phone", "notes")


class PeopleService(Scope):
    """Practitioners, rooms and patients of one clinic."""

    # --- practitioners ---

    def add_practitioner(
        self,
        full_name: str,
        *,
        certification_body: str,
        certification_number: str,
        certified_on: date,
        certification_expires_on: date | None = None,
        email: str | None = None,
    ) -> Practitioner:
        """Add a practitioner with their SMP certification."""
        with self._unit("create", "practitioner") as s:
            certified_on = check_date(certified_on, "certified_on")
            if certification_expires_on is not None:
                check_date(certification_expires_on, "certification_expires_on")
                if certification_expires_on <= certified_on:
                    raise ClinicError("certification must expire after it was issued")
            row = Practitioner(
                clinic_id=self.clinic_id,
                full_name=check_text(full_name, "practitioner name", max_len=200),
                email=check_email(email),
                certification_body=check_text(certification_body, "certifying body", max_len=200),
                certification_number=check_text(
                    certification_number, "certificate number", max_len=100
                ),
                certified_on=certified_on,
                certification_expires_on=certification_expires_on,
                active=True,
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "practitioner", row.id))
            return row

    def practitioners(self) -> list[Practitioner]:
        """Every practitioner of the clinic, by name."""
        with self._db.transaction(readonly=True) as s:
            query = select(Practitioner).where(Practitioner.clinic_id == self.clinic_id)
            return list(s.scalars(query.order_by(Practitioner.full_name, Practitioner.id)))

    def add_hygiene_attestation(
        self,
        practitioner_id: int,
        *,
        kind: str,
        reference: str,
        issued_on: date,
        expires_on: date | None = None,
    ) -> HygieneAttestation:
        """Record a hygiene attestation (e.g. blood-borne pathogens training, premises)."""
        with self._unit("create", "hygiene-attestation") as s:
            self._get(s, Practitioner, practitioner_id, "practitioner")
            issued_on = check_date(issued_on, "issued_on")
            if expires_on is not None and check_date(expires_on, "expires_on") <= issued_on:
                raise ClinicError("a hygiene attestation must expire after it was issued")
            row = HygieneAttestation(
                clinic_id=self.clinic_id,
                practitioner_id=practitioner_id,
                kind=check_text(kind, "attestation kind", max_len=100),
                reference=check_text(reference, "attestation reference", max_len=200),
                issued_on=issued_on,
                expires_on=expires_on,
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "hygiene-attestation", row.id))
            return row

    def set_practitioner_active(self, practitioner_id: int, active: bool) -> Practitioner:
        """Take a practitioner off the schedule (False) or back on (True)."""
        with self._unit("update", "practitioner") as s:
            row = self._get(s, Practitioner, practitioner_id, "practitioner")
            row.active = bool(active)
            self._log(s, AuditEvent("update", "practitioner", row.id, detail=f"active={active}"))
            return row

    def add_availability(
        self, practitioner_id: int, *, weekday: int, start: time, end: time
    ) -> AvailabilityWindow:
        """Add a weekly window (clinic-local time, weekday 0 = Monday) for sessions.

        ``end`` may be ``time(0, 0)`` for midnight at the end of the day.
        """
        with self._unit("create", "availability") as s:
            self._get(s, Practitioner, practitioner_id, "practitioner")
            check_int(weekday, "weekday (0 = Monday)", low=0, high=6)
            first, last = _minute(start, "start"), _minute(end, "end") or 1440
            if last <= first:
                raise ClinicError(f"availability must end after it starts ({start}–{end})")
            existing = s.scalars(
                select(AvailabilityWindow).where(
                    AvailabilityWindow.clinic_id == self.clinic_id,
                    AvailabilityWindow.practitioner_id == practitioner_id,
                    AvailabilityWindow.weekday == weekday,
                )
            )
            for window in existing:
                if window.start_minute < last and first < window.end_minute:
                    raise ClinicError("this window overlaps another one on the same weekday")
            row = AvailabilityWindow(
                clinic_id=self.clinic_id,
                practitioner_id=practitioner_id,
                weekday=weekday,
                start_minute=first,
                end_minute=last,
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "availability", row.id))
            return row

    def add_time_off(
        self, practitioner_id: int, *, starts_at: datetime, ends_at: datetime, reason: str = ""
    ) -> TimeOff:
        """Block an interval (holiday, training) in a practitioner's schedule."""
        with self._unit("create", "time-off") as s:
            self._get(s, Practitioner, practitioner_id, "practitioner")
            check_aware(starts_at, "starts_at")
            check_aware(ends_at, "ends_at")
            if ends_at <= starts_at:
                raise ClinicError("time off must end after it starts")
            row = TimeOff(
                clinic_id=self.clinic_id,
                practitioner_id=practitioner_id,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=check_text(reason, "reason", max_len=200, required=False),
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "time-off", row.id))
            return row

    # --- rooms ---

    def add_room(self, name: str) -> Room:
        """Add a treatment room; names are unique within the clinic."""
        name = check_text(name, "room name", max_len=100)
        try:
            with self._unit("create", "room") as s:
                row = Room(clinic_id=self.clinic_id, name=name, active=True)
                s.add(row)
                s.flush()
                self._log(s, AuditEvent("create", "room", row.id, detail=name))
                return row
        except IntegrityError:
            raise ClinicError(f"a room named {name!r} exists already") from None

    def rooms(self) -> list[Room]:
        """Every room of the clinic, by name."""
        with self._db.transaction(readonly=True) as s:
            query = select(Room).where(Room.clinic_id == self.clinic_id).order_by(Room.name)
            return list(s.scalars(query))

    # --- patients ---

    def add_patient(
        self,
        given_name: str,
        family_name: str,
        *,
        date_of_birth: date,
        email: str | None = None,
        phone: str | None = None,
        notes: str = "",
    ) -> Patient:
        """Register a client (an adult)."""
        with self._unit("create", "patient") as s:
            now = self._now()
            row = Patient(clinic_id=self.clinic_id, created_at=now, updated_at=now)
            self._fill_patient(
                row,
                {
                    "given_name": given_name,
                    "family_name": family_name,
                    "date_of_birth": date_of_birth,
                    "email": email,
                    "phone": phone,
                    "notes": notes,
                },
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "patient", row.id, row.id))
            return row

    def patient(self, patient_id: int) -> Patient:
        """A client's record (an audited read)."""
        with self._unit("read", "patient", patient_id=patient_id) as s:
            row = self._get(s, Patient, patient_id, "patient")
            self._log(s, AuditEvent("read", "patient", row.id, row.id))
            return row

    def find_patients(self, name: str = "", *, limit: int = 50) -> list[Patient]:
        """Clients matching every word of ``name`` somewhere in their given or family name
        (apostrophes, hyphens and case ignored: "neill" finds O'Neill, "james neill" James
        O'Neill), their e-mail, or — for a word with digits — their phone number's digits
        ("7946 0000" and "020 7946" find +44 20 7946 0000: a leading trunk 0 may stand for
        the country code). Each read is audited."""
        with self._unit("read", "patient") as s:
            check_int(limit, "limit", low=1, high=1000)
            text = check_text(name, "search", max_len=100, required=False).lower()
            query = select(Patient).where(Patient.clinic_id == self.clinic_id)
            words = _search_words(text)
            if words:
                query = query.where(*(_matches(word) for word in words))
            query = query.order_by(Patient.family_name, Patient.given_name, Patient.id)
            rows = list(s.scalars(query.limit(limit)))
            self._log(s, *(AuditEvent("read", "patient", r.id, r.id, detail="list") for r in rows))
            return rows

    def update_patient(self, patient_id: int, **changes: Any) -> Patient:
        """Change a client's details: any of given_name, family_name, date_of_birth, email,
        phone, notes. The audit entry names the fields changed (not their values)."""
        with self._unit("update", "patient", patient_id=patient_id) as s:
            unknown = sorted(set(changes) - set(_PATIENT_FIELDS))
            if unknown:
                raise ClinicError(f"cannot change {', '.join(unknown)} of a patient")
            row = self._get(s, Patient, patient_id, "patient")
            merged = {f: changes.get(f, getattr(row, f)) for f in _PATIENT_FIELDS}
            before = {f: getattr(row, f) for f in _PATIENT_FIELDS}
            self._fill_patient(row, merged)
            changed = [f for f in _PATIENT_FIELDS if getattr(row, f) != before[f]]
            row.updated_at = self._now()
            detail = "changed " + (", ".join(changed) or "nothing")
            self._log(s, AuditEvent("update", "patient", row.id, row.id, detail=detail))
            return row

    def _fill_patient(self, row: Patient, values: dict[str, Any]) -> None:
        row.given_name = check_text(values["given_name"], "given name", max_len=100)
        row.family_name = check_text(values["family_name"], "family name", max_len=100)
        row.date_of_birth = self._check_birth(values["date_of_birth"])
        row.email = check_email(values["email"])
        row.phone = check_phone(values["phone"])
        row.notes = check_text(values["notes"], "notes", max_len=10_000, required=False)

    def _check_birth(self, value: object) -> date:
        born = check_date(value, "date of birth")
        today = self.today()
        if born > today:
            raise ClinicError(f"date of birth {born} is in the future")
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MIN_CLIENT_AGE_YEARS:
            raise ClinicError(
                f"the client is {age}: SMP is for adults ({MIN_CLIENT_AGE_YEARS} or over)"
            )
        if age > 120:
            raise ClinicError(f"date of birth {born} gives an age of {age}: check the year")
        return born


_NAME_PUNCTUATION = ("'", "’", "-", ".", " ")
_PHONE_PUNCTUATION = (" ", "+", "-", "(", ")", ".", "/")


def _search_words(text: str) -> list[str]:
    """The words of a search; a run of digits and phone punctuation is one word ("020 7946
    0000" is one phone number, not three words)."""
    words: list[str] = []
    for part in text.split():
        if words and _is_phone(part) and _is_phone(words[-1]):
            words[-1] += part
        else:
            words.append(part)
    return words


def _is_phone(word: str) -> bool:
    return any(c.isdigit() for c in word) and all(
        c.isdigit() or c in _PHONE_PUNCTUATION for c in word
    )


def _stripped(column: Any, characters: tuple[str, ...]) -> Any:
    for character in characters:
        column = func.replace(column, character, "")
    return column


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(word: str) -> Any:
    """A word found in a name (punctuation ignored), the e-mail or the phone's digits."""
    name = "".join(c for c in word if c not in _NAME_PUNCTUATION)
    found = [
        func.lower(_stripped(Patient.family_name, _NAME_PUNCTUATION)).like(
            _like(name), escape="\\"
        ),
        func.lower(_stripped(Patient.given_name, _NAME_PUNCTUATION)).like(_like(name), escape="\\"),
        func.lower(Patient.email).like(_like(word), escape="\\"),
    ]
    digits = "".join(c for c in word if c.isdigit())
    if _is_phone(word) and len(digits) >= 3:
        phone = _stripped(Patient.phone, _PHONE_PUNCTUATION)
        found.append(phone.like(f"%{digits}%"))
        if digits.startswith("0") and len(digits) >= 4:  # a national trunk 0: "020 …" = "+44 20 …"
            found.append(phone.like(f"%{digits[1:]}%"))
    return or_(*found)


def _minute(value: object, field: str) -> int:
    if not isinstance(value, time):
        raise ClinicError(f"{field} must be a time of day like 09:00, got {value!r}")
    if value.second or value.microsecond:
        raise ClinicError(f"{field} must be whole minutes, got {value}")
    return value.hour * 60 + value.minute
