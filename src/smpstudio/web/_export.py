"""A client's data exported and erased on request (owner only).

- ``/studio/patients/{id}/export``: what the export holds, its download, and the erasure
  form (the client's full name typed to confirm).
- ``/studio/patients/{id}/export.zip``: the zip (``client.json``, ``photos/``,
  ``summary.pdf``), an audited read; every record id in it is a record token, as in the
  studio's addresses (``smpstudio.clinic._record_ids``).
- ``POST /studio/patients/{id}/erase``: erase every record and photo of the client; a
  refusal comes back (422) with its one message, nothing erased (and audited).
"""

from __future__ import annotations

import tempfile
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import ClinicRecords, RecordNotFoundError
from smpstudio.web._clients import patient_id
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import rid
from smpstudio.web._state import blocking

__all__ = ["routes"]

_OWNER = ("owner",)


def _context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    row = records.patient(pid)
    return {
        "title": f"Export or erase · {row.given_name} {row.family_name}",
        "patient": row,
        "full_name": f"{row.given_name} {row.family_name}",
    }


@staff(*_OWNER)
async def export_page(request: Request) -> Response:
    context = await blocking(_context, records_for(request), patient_id(request))
    return page(request, "export.html", context)


def _zip(records: ClinicRecords, pid: int) -> bytes:
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as out:
        records.export_client(pid, out)
        out.seek(0)
        return out.read()


@staff(*_OWNER)
async def export_zip(request: Request) -> Response:
    pid = patient_id(request)
    data = await blocking(_zip, records_for(request), pid)
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="client-{rid(pid)}-export.zip"'},
    )


@staff(*_OWNER)
async def erase(request: Request) -> Response:
    pid = patient_id(request)
    records = records_for(request)
    context = await blocking(_context, records, pid)  # another clinic's client: 404 first
    form = await form_input(request)
    try:
        summary = await blocking(records.erase_client, pid, confirm=form.get("confirm"))
    except InputError as exc:
        if isinstance(exc, RecordNotFoundError):
            raise
        text = str(exc)
        context["error"] = text[:1].upper() + text[1:]
        return page(request, "export.html", context, status=422)
    count = sum(summary.rows.values())
    studio_of(request).flash(
        request.state.signed.session.token_hash,
        f"Erased on request: {count} records and {summary.photos} photos of "
        f"{context['full_name']}. "
        "The audit log keeps the erasure, without their details.",
    )
    return redirect("/studio/patients")


routes = [
    Route("/studio/patients/{patient_id:rid}/export", export_page, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/export.zip", export_zip, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/erase", erase, methods=["POST"]),
]
