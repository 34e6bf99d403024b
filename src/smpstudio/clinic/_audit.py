"""The append-only, hash-chained audit log.

Each clinic has its own chain (chain 0 holds the installation's own events, such as the
creation of clinics). An entry's hash covers its chain, sequence number, time, actor,
patient, action, object, outcome and detail, and the hash of the entry before it::

    hash = SHA-256(canonical JSON [chain, seq, at, actor, clinic_id, patient_id, action,
                                   object_type, object_id, outcome, detail, prev_hash])

``audit_heads`` keeps the last sequence number and hash of each chain, so that a missing
tail is found as well as an edited, deleted or swapped entry. Appending locks the chain's
head row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions already hold the write
lock), so concurrent writers never fork a chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._models import AuditEntry, AuditHead

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditProblem",
    "AuditReport",
    "append_events",
    "entry_hash",
    "verify_chains",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first entry of every chain."""

Outcome: TypeAlias = Literal["ok", "denied", "refused"]


@dataclass(frozen=True)
class AuditEvent:
    """What is being logged: an action on an object, about a patient or not."""

    action: str
    object_type: str
    object_id: int | str | None = None
    patient_id: int | None = None
    outcome: Outcome = "ok"
    detail: str = ""


@dataclass(frozen=True)
class AuditProblem:
    """A break in a chain: where it is and what is wrong."""

    chain: int
    seq: int
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"audit chain {self.chain}, entry seq {self.seq}"
        if self.entry_id is not None:
            where += f" (row id {self.entry_id})"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify_chains`."""

    entries: int
    chains: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        """True when every chain is intact."""
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        """The first broken entry (lowest chain, then lowest sequence number)."""
        return self.problems[0] if self.problems else None


_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor",
    "clinic_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "prev_hash",
)
"""The fields an entry's hash covers, in order."""


def entry_hash(entry: Any) -> str:
    """The SHA-256 an entry must carry, from its fields and ``prev_hash``.

    ``entry`` is an :class:`AuditEntry`, a row with the same attribute names, or a mapping.
    """
    if isinstance(entry, Mapping):
        values = [entry[name] for name in _FIELDS]
    else:
        values = [getattr(entry, name) for name in _FIELDS]
    values[2] = values[2].astimezone(UTC).isoformat()
    canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def append_events(
    session: Session,
    *,
    chain: int,
    actor: str,
    clinic_id: int | None,
    events: Sequence[AuditEvent],
    at: datetime,
) -> None:
    """Append ``events`` to ``chain`` inside the caller's transaction, stamped ``at``."""
    if not events:
        return
    head = session.execute(
        select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        raise ClinicError(f"audit chain {chain} has no head: the database is damaged")
    when = at
    rows: list[dict[str, Any]] = []
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        row: dict[str, Any] = {
            "chain": chain,
            "seq": seq,
            "at": when,
            "actor": actor,
            "clinic_id": clinic_id,
            "patient_id": event.patient_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": None if event.object_id is None else str(event.object_id)[:64],
            "outcome": event.outcome,
            "detail": event.detail[:500],
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(row)
        rows.append(row)
    session.execute(insert(AuditEntry), rows)
    head.seq, head.hash = seq, prev


def verify_chains(session: Session, *, batch: int = 10_000) -> AuditReport:
    """Check every chain: numbering without gaps, links, hashes and the recorded heads."""
    heads = {h.chain: h for h in session.execute(select(AuditHead)).scalars()}
    columns = [AuditEntry.id, *(getattr(AuditEntry, name) for name in _FIELDS), AuditEntry.hash]
    stream = session.execute(
        select(*columns)
        .order_by(AuditEntry.chain, AuditEntry.seq)
        .execution_options(yield_per=batch)
    )
    problems: list[AuditProblem] = []
    count = 0
    last: dict[int, Any] = {}
    for entry in stream:
        count += 1
        problems.extend(_check_entry(entry, last.get(entry.chain)))
        last[entry.chain] = entry
    for chain in sorted(set(heads) | set(last)):
        problems.extend(_check_head(chain, heads.get(chain), last.get(chain)))
    problems.sort(key=lambda p: (p.chain, p.seq))
    return AuditReport(entries=count, chains=len(set(heads) | set(last)), problems=tuple(problems))


def _check_entry(entry: Any, before: Any) -> list[AuditProblem]:
    expected_seq = 1 if before is None else before.seq + 1
    expected_prev = GENESIS_HASH if before is None else before.hash
    out: list[AuditProblem] = []

    def problem(message: str) -> None:
        out.append(AuditProblem(entry.chain, entry.seq, entry.id, message))

    if entry.seq != expected_seq:
        problem(f"entries {expected_seq}–{entry.seq - 1} are missing (deleted)")
    elif entry.prev_hash != expected_prev:
        problem("does not link to the entry before it (entries swapped or rewritten)")
    if entry_hash(entry) != entry.hash:
        problem("content does not match its hash (edited)")
    return out


def _check_head(chain: int, head: AuditHead | None, last: Any) -> list[AuditProblem]:
    last_seq = 0 if last is None else last.seq
    last_hash = GENESIS_HASH if last is None else last.hash
    if head is None:
        return [AuditProblem(chain, last_seq, None, "chain has no recorded head")]
    if head.seq > last_seq:
        message = f"entries {last_seq + 1}–{head.seq} at the end are missing (truncated)"
        return [AuditProblem(chain, last_seq + 1, None, message)]
    if head.seq != last_seq or head.hash != last_hash:
        return [AuditProblem(chain, last_seq, None, "last entry does not match the head")]
    return []
