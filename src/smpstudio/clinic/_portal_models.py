"""The client portal's tables: one-time sign-in links, portal sessions and the signed
consent documents (the drawn signature and the PDF copy).

Tokens are kept only as their SHA-256: the database never holds a usable link or cookie.
Signed consent documents sit in the database with their consent (not in the photo store),
so a signature and its PDF are written in the same transaction as the consent itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smpstudio.clinic._models import Base, _clinic, _fk, _id, _ref
from smpstudio.clinic._types import IdType

__all__ = ["ConsentDocument", "PortalLink", "PortalSession"]


class PortalLink(Base):
    """A one-time, expiring sign-in link e-mailed to a client (only its token's hash)."""

    __tablename__ = "portal_links"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("token_hash"),
        CheckConstraint("origin IN ('client', 'studio')", name="origin"),
        Index("ix_portal_links_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    token_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PortalSession(Base):
    """A client signed in to the portal: the SHA-256 of the cookie's token, its form token,
    its lifetime. Scoped to one client of one clinic."""

    __tablename__ = "portal_sessions"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("token_hash"),
        Index("ix_portal_sessions_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    client_address: Mapped[str] = mapped_column(String(64))


class ConsentDocument(Base):
    """A consent signed in the portal: the drawn signature (PNG) and the PDF copy."""

    __tablename__ = "consent_documents"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("consent_id"),
        Index("ix_consent_documents_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    consent_id: Mapped[int] = mapped_column(IdType, ForeignKey("consents.id"), nullable=False)
    signature_png: Mapped[bytes] = mapped_column(LargeBinary)
    signature_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
