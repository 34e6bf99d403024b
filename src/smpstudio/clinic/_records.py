""":class:`ClinicRecords`: everything one clinic keeps, scoped and audited.

It is the union of the record services, one module per concern, each a :class:`Scope`
that imports no other service (the rules they share are in ``_rules``)::

    _people       PeopleService       practitioners, hours, time off, rooms, patients
    _clinical     ClinicalService     consultations, consent, designs, plans, follow-ups, leads
    _sessions     SessionService      session records, pigment and needle-lot traceability
    _patch_tests  PatchTestService    patch tests, their readings, patch-test batch recall
    _photos       PhotoService        clinical photos (the photo store)
    _messages     MessageService      the message outbox, opt-outs, sending what is due
    _stock        StockService        pigment and needle stock by lot, expiry, warnings
    _portal       PortalService       the client portal: own bookings, consent signed at home
    _billing      BillingService      deposits, payments, refunds, no-show fees, invoices
    _scheduling   SchedulingService   bookings and the next free slot
    _reports      ReportService       reports (the declared list REPORTS), aggregated in SQL
    _export       ExportService       a client's data exported and erased on request
    _auditing     AuditService        the audit trail

A new concern is a new service module added to the bases below (tests/test_architecture.py
keeps the services apart and their method names distinct).
"""

from __future__ import annotations

from smpstudio.clinic._auditing import AuditService
from smpstudio.clinic._billing import BillingService
from smpstudio.clinic._clinical import ClinicalService
from smpstudio.clinic._export import ExportService
from smpstudio.clinic._messages import MessageService
from smpstudio.clinic._patch_tests import PatchTestService
from smpstudio.clinic._people import PeopleService
from smpstudio.clinic._photos import PhotoService
from smpstudio.clinic._portal import PortalService
from smpstudio.clinic._reports import ReportService
from smpstudio.clinic._scheduling import SchedulingService
from smpstudio.clinic._sessions import SessionService
from smpstudio.clinic._stock import StockService

__all__ = ["SERVICES", "ClinicRecords"]


class ClinicRecords(
    PeopleService,
    ClinicalService,
    SessionService,
    PatchTestService,
    PhotoService,
    SchedulingService,
    MessageService,
    StockService,
    PortalService,
    BillingService,
    ReportService,
    ExportService,
    AuditService,
):
    """The records of one clinic as one actor sees and changes them.

    Get it from :meth:`Database.clinic`. Every query is scoped to the clinic (a record of
    another clinic is :class:`RecordNotFoundError`, and the attempt is audited as ``denied``);
    every read and write of patient data and photos appends to the clinic's audit chain in
    the same transaction. Records come back as detached, read-only snapshots: change them
    through the methods.
    """


SERVICES = ClinicRecords.__bases__
"""The record services, each a :class:`~smpstudio.clinic._scope.Scope` of its own concern."""
