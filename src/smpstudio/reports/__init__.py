"""Documents of a treatment plan: ``plan.json``, the client's PDF and the ICS calendar.

:func:`plan_json` writes the plan as data; :func:`plan_pdf` the client's treatment plan
(reportlab: hairline, pigment shade, sessions, durations, cost with its basis, aftercare,
touch-up, and any images such as the scalp chart or before/after renders);
:func:`plan_ics` an iCalendar file of the sessions, aftercare milestones and touch-up with
UIDs that stay the same across re-exports and no client name by default; :func:`plan_files`
all three as files, as the command line writes them and the studio serves them;
:func:`billing_pdf` a receipt or an invoice.

The documents sit below both the command line and the web studio: they import the core
(design, plan, render), never the clinic, the web or the CLI.
"""

from smpstudio.reports._billing import billing_pdf
from smpstudio.reports._consent import CONSENT_PDF_TITLE, consent_pdf
from smpstudio.reports._files import plan_files
from smpstudio.reports._ics import ICS_PRODID, event_uid, plan_ics
from smpstudio.reports._json import plan_json
from smpstudio.reports._pdf import PDF_TITLE, plan_pdf

__all__ = [
    "CONSENT_PDF_TITLE",
    "ICS_PRODID",
    "PDF_TITLE",
    "billing_pdf",
    "consent_pdf",
    "event_uid",
    "plan_files",
    "plan_ics",
    "plan_json",
    "plan_pdf",
]
