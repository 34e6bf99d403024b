"""Clinic records: patients, consultations, consent, sessions with lot traceability,
scheduling and an audit log — on SQLite by default, on PostgreSQL at scale.

::

    from datetime import date
    from smpstudio.clinic import open_database

    with open_database() as db:              # SMPSTUDIO_DB, else a SQLite file (platformdirs)
        db.upgrade()                         # Alembic migrations to head
        clinic = db.create_clinic("Soho", timezone="Europe/London", actor="owner")
        records = db.clinic(clinic.id, actor="alex")
        p = records.add_patient("Sam", "Lee", date_of_birth=date(1980, 5, 1))
        records.clients_with_pigment_batch("B-2291")     # lot recall
        db.verify_audit().ok

Every query of :class:`ClinicRecords` is scoped to one clinic; every read and write of
patient data and photos is appended to the clinic's hash-chained audit log in the same
transaction. Schema, guarantees and operations: ``docs/clinic.md``.
"""

from smpstudio.clinic._accounts import ROLES, Accounts, SignedIn, User, WebSession
from smpstudio.clinic._audit import AuditProblem, AuditReport, verify_chains
from smpstudio.clinic._billing import (
    PAYMENT_KINDS,
    PAYMENT_METHODS,
    Account,
    BillingDocument,
    DueLine,
    MonthRevenue,
)
from smpstudio.clinic._billing_settings import DEPOSIT_KINDS, BillingSettings, billing_settings
from smpstudio.clinic._candidacy import (
    CONTRAINDICATION_KEYS,
    CONTRAINDICATIONS,
    CandidacyResult,
    Contraindication,
    Finding,
    evaluate_candidacy,
)
from smpstudio.clinic._clinical import (
    CONSENT_KINDS,
    CONSULTATION_REASONS,
    FOLLOW_UP_KINDS,
    LEAD_STATUSES,
    PLAN_STATUSES,
    RETENTION_ZONES,
    STAGES,
)
from smpstudio.clinic._config import ENV_DATA_DIR, ENV_DB, ClinicConfig
from smpstudio.clinic._database import Database, open_database
from smpstudio.clinic._delivery import Attachment, DeliveryError, Mailer, SmsProvider, SmtpMailer
from smpstudio.clinic._engine import SQLITE_PRAGMAS, database_unavailable
from smpstudio.clinic._errors import (
    BookingConflictError,
    PatchTestRequiredError,
    RecordNotFoundError,
    Slot,
)
from smpstudio.clinic._export import (
    EXPORT_FORMAT,
    ErasureSummary,
    ExportSummary,
    finish_pending_erasures,
)
from smpstudio.clinic._maintenance import (
    BackupResult,
    CheckReport,
    backup_database,
    check_database,
    restore_database,
)
from smpstudio.clinic._messages import DeliveryReport
from smpstudio.clinic._models import (
    AuditEntry,
    AvailabilityWindow,
    Booking,
    Clinic,
    Consent,
    ConsentDocument,
    ConsentForm,
    Consultation,
    DesignVersion,
    DilutionOverride,
    FollowUp,
    FollowUpZone,
    HygieneAttestation,
    Invoice,
    Lead,
    Message,
    MessageOptOut,
    NoShow,
    PatchTest,
    PatchTestOverride,
    PatchTestReading,
    Patient,
    Payment,
    Photo,
    PortalLink,
    PortalSession,
    Practitioner,
    Room,
    SessionNeedleLot,
    SessionPigment,
    SessionRecord,
    StockItem,
    StockLot,
    StockMovement,
    TimeOff,
    TreatmentPlan,
)
from smpstudio.clinic._outbox import CHANNELS, MESSAGE_KINDS, MESSAGE_STATUSES
from smpstudio.clinic._patch_tests import REACTIONS, PatchTestHit
from smpstudio.clinic._people import MIN_CLIENT_AGE_YEARS
from smpstudio.clinic._photos import PHOTO_KINDS, PHOTO_MAX_BYTES, PHOTO_VIEWS
from smpstudio.clinic._portal import (
    SIGNATURE_MAX_BYTES,
    ConsentPaper,
    HealedPhotoRequest,
    check_signature,
)
from smpstudio.clinic._portal_access import LINK_REFUSED, PortalAccess, PortalClient, portal_actor
from smpstudio.clinic._record_ids import NOT_A_RECORD, TOKEN_PATTERN, TOKEN_REGEX, RecordIds
from smpstudio.clinic._records import ClinicRecords
from smpstudio.clinic._reports import REPORTS, Period, Report, ReportResult, report_by_slug
from smpstudio.clinic._rules import ConsentStatus
from smpstudio.clinic._scheduling import BOOKING_SEARCH_DAYS
from smpstudio.clinic._sending import send_due_everywhere
from smpstudio.clinic._sessions import (
    DILUTION_ZONES,
    DilutionRecommendation,
    PigmentUse,
    TraceHit,
)
from smpstudio.clinic._stock import STOCK_KINDS, STOCK_UNITS, StockWarning

__all__ = [
    "BOOKING_SEARCH_DAYS",
    "CHANNELS",
    "CONSENT_KINDS",
    "CONSULTATION_REASONS",
    "CONTRAINDICATIONS",
    "CONTRAINDICATION_KEYS",
    "DEPOSIT_KINDS",
    "DILUTION_ZONES",
    "ENV_DATA_DIR",
    "ENV_DB",
    "EXPORT_FORMAT",
    "FOLLOW_UP_KINDS",
    "LEAD_STATUSES",
    "LINK_REFUSED",
    "MESSAGE_KINDS",
    "MESSAGE_STATUSES",
    "MIN_CLIENT_AGE_YEARS",
    "NOT_A_RECORD",
    "PAYMENT_KINDS",
    "PAYMENT_METHODS",
    "PHOTO_KINDS",
    "PHOTO_MAX_BYTES",
    "PHOTO_VIEWS",
    "PLAN_STATUSES",
    "REACTIONS",
    "REPORTS",
    "RETENTION_ZONES",
    "ROLES",
    "SIGNATURE_MAX_BYTES",
    "SQLITE_PRAGMAS",
    "STAGES",
    "STOCK_KINDS",
    "STOCK_UNITS",
    "TOKEN_PATTERN",
    "TOKEN_REGEX",
    "Account",
    "Accounts",
    "Attachment",
    "AuditEntry",
    "AuditProblem",
    "AuditReport",
    "AvailabilityWindow",
    "BackupResult",
    "BillingDocument",
    "BillingSettings",
    "Booking",
    "BookingConflictError",
    "CandidacyResult",
    "CheckReport",
    "Clinic",
    "ClinicConfig",
    "ClinicRecords",
    "Consent",
    "ConsentDocument",
    "ConsentForm",
    "ConsentPaper",
    "ConsentStatus",
    "Consultation",
    "Contraindication",
    "Database",
    "DeliveryError",
    "DeliveryReport",
    "DesignVersion",
    "DilutionOverride",
    "DilutionRecommendation",
    "DueLine",
    "ErasureSummary",
    "ExportSummary",
    "Finding",
    "FollowUp",
    "FollowUpZone",
    "HealedPhotoRequest",
    "HygieneAttestation",
    "Invoice",
    "Lead",
    "Mailer",
    "Message",
    "MessageOptOut",
    "MonthRevenue",
    "NoShow",
    "PatchTest",
    "PatchTestHit",
    "PatchTestOverride",
    "PatchTestReading",
    "PatchTestRequiredError",
    "Patient",
    "Payment",
    "Period",
    "Photo",
    "PigmentUse",
    "PortalAccess",
    "PortalClient",
    "PortalLink",
    "PortalSession",
    "Practitioner",
    "RecordIds",
    "RecordNotFoundError",
    "Report",
    "ReportResult",
    "Room",
    "SessionNeedleLot",
    "SessionPigment",
    "SessionRecord",
    "SignedIn",
    "Slot",
    "SmsProvider",
    "SmtpMailer",
    "StockItem",
    "StockLot",
    "StockMovement",
    "StockWarning",
    "TimeOff",
    "TraceHit",
    "TreatmentPlan",
    "User",
    "WebSession",
    "backup_database",
    "billing_settings",
    "check_database",
    "check_signature",
    "database_unavailable",
    "evaluate_candidacy",
    "finish_pending_erasures",
    "open_database",
    "portal_actor",
    "report_by_slug",
    "restore_database",
    "send_due_everywhere",
    "verify_chains",
]
