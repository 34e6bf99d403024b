"""Staff accounts of the web studio: users, roles, passwords, TOTP and web sessions.

- **Users** belong to one clinic and hold one role: ``owner`` (everything, including the
  team and the audit log), ``practitioner`` (the clinical record) or ``front-desk`` (clients'
  contact details, the schedule and consultation requests). An e-mail address signs in to
  one account of the installation.
- **Passwords** are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile: t=3,
  m=64 MiB, p=4), 8–128 characters, checked exactly as typed, never one of the most common
  passwords; a hash made with older parameters is renewed at the next sign-in. An account
  created with a one-time password must choose its own at the first sign-in.
- **TOTP** (RFC 6238, 30 s, 6 digits, ±1 step of clock drift); a code is accepted once.
- **Web sessions** are random 256-bit tokens of which only the SHA-256 is stored. A session
  ends after ``idle`` without use, after ``lifetime`` in all, at sign-out, when the password
  changes (other sessions) and when the account is disabled or its role changes.

Every change to an account, every sign-in (accepted or refused) and every sign-out is
appended to the clinic's audit chain in the same transaction; refusals for addresses that
match no account go to the installation's chain. Passwords, hashes, secrets and tokens
never appear in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from smpstudio._errors import ClinicError
from smpstudio.clinic._audit import AuditEvent, append_events
from smpstudio.clinic._errors import RecordNotFoundError
from smpstudio.clinic._models import Base, Clinic, Practitioner
from smpstudio.clinic._store import SYSTEM_CHAIN, Store, check_timezone
from smpstudio.clinic._types import IdType
from smpstudio.clinic._validate import check_choice, check_email, check_text

__all__ = [
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "ROLES",
    "Accounts",
    "Role",
    "SignedIn",
    "User",
    "WebSession",
]

Role: TypeAlias = Literal["owner", "practitioner", "front-desk"]
ROLES: tuple[Role, ...] = ("owner", "practitioner", "front-desk")
"""The roles of the web studio, most powerful first."""

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
TOTP_STEP_SECONDS = 30
_TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

_COMMON_PASSWORDS = frozenset(
    {
        "000000",
        "00000000",
        "111111",
        "11111111",
        "11223344",
        "123123",
        "123321",
        "12341234",
        "12345",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "1234qwer",
        "123654789",
        "123qwe123",
        "147258369",
        "159753",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "654321",
        "666666",
        "7777777",
        "88888888",
        "987654321",
        "999999999",
        "aa12345678",
        "abc123",
        "abc12345",
        "admin123",
        "administrator",
        "arsenal",
        "asdfghjk",
        "asdfghjkl",
        "baseball",
        "batman",
        "changeme",
        "changeme1",
        "charlie",
        "chelsea",
        "computer",
        "dragon",
        "football",
        "football1",
        "freedom",
        "ginger",
        "hairline",
        "harley",
        "hunter123",
        "hunter2",
        "iloveyou",
        "iloveyou1",
        "internet",
        "jennifer",
        "jordan23",
        "letmein",
        "letmein1",
        "liverpool",
        "master",
        "michael",
        "micropigmentation",
        "monkey",
        "mustang",
        "p@ssw0rd",
        "p@ssword",
        "passw0rd",
        "password",
        "password!",
        "password1",
        "password12",
        "password123",
        "pepper",
        "princess",
        "princess1",
        "q1w2e3r4t5",
        "qazwsxedc",
        "qwerty",
        "qwerty1",
        "qwerty12",
        "qwerty123",
        "qwerty123456",
        "qwertyuiop",
        "scalpmicro",
        "secret123",
        "shadow",
        "smpstudio",
        "spring2026",
        "starwars",
        "summer2024",
        "summer2025",
        "summer2026",
        "sunshine",
        "sunshine1",
        "superman",
        "trustno1",
        "welcome",
        "welcome1",
        "whatever",
        "winter2025",
        "zaq12wsx",
        "zxcvbnm1",
        "zxcvbnm123",
    }
)
"""The most common passwords (and this product's own words), refused whatever their case."""


class User(Base):
    """A member of a clinic's staff who signs in to the web studio."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("email"),
        ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"], ["practitioners.clinic_id", "practitioners.id"]
        ),
        CheckConstraint("role IN ('owner', 'practitioner', 'front-desk')", name="role"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(IdType, ForeignKey("clinics.id"), nullable=False)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    practitioner_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime]
    must_change_password: Mapped[bool]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(IdType, nullable=True)
    active: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None


class WebSession(Base):
    """A signed-in browser: the SHA-256 of its token, its CSRF token and its lifetime.

    ``stage`` is ``mfa`` between the password and the TOTP code, ``ok`` once signed in.
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["clinic_id", "user_id"], ["users.clinic_id", "users.id"]),
        UniqueConstraint("token_hash"),
        CheckConstraint("stage IN ('mfa', 'ok')", name="stage"),
        Index("ix_web_sessions_clinic_user", "clinic_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(IdType, ForeignKey("clinics.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    client_address: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class SignedIn:
    """A live web session and its user (detached snapshots)."""

    session: WebSession
    user: User

    @property
    def complete(self) -> bool:
        """Signed in (``False`` while the TOTP code is still due)."""
        return self.session.stage == "ok"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def one_time_password() -> str:
    """A random password to hand over once: 4 groups of 5 unambiguous characters (98 bits)."""
    chars = [secrets.choice(_ONE_TIME_ALPHABET) for _ in range(20)]
    return "-".join("".join(chars[i : i + 5]) for i in range(0, 20, 5))


def check_new_password(password: object, *, email: str | None = None) -> str:
    """A password a person may choose: 8–128 characters, not a common one, not the e-mail.

    Checked exactly as typed (no trimming or case folding)::

        >>> check_new_password("correct horse battery")
        'correct horse battery'
    """
    if not isinstance(password, str):
        raise ClinicError("the password must be text")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ClinicError(
            f"the password has {len(password)} characters; use at least {PASSWORD_MIN_LENGTH} "
            "(a few unrelated words make a strong one)"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ClinicError(f"the password is longer than {PASSWORD_MAX_LENGTH} characters")
    if password.lower() in _COMMON_PASSWORDS or password.strip() == "":
        raise ClinicError("this password is one of the most common ones: choose another")
    if email and password.lower() in {email.lower(), email.split("@")[0].lower()}:
        raise ClinicError("the password must not be the e-mail address")
    return password


class Accounts:
    """The staff accounts and web sessions of an installation.

    Parameters
    ----------
    db
        The clinic database (at the current schema).
    hasher
        The argon2id parameters; the default is RFC 9106's low-memory profile. Tests may pass
        a cheaper one.
    idle, lifetime
        A session ends after ``idle`` without a request, and after ``lifetime`` in all.
    """

    def __init__(
        self,
        db: Store,
        *,
        hasher: PasswordHasher | None = None,
        idle: timedelta = timedelta(minutes=30),
        lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        self._db = db
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
        self.idle = idle
        self.lifetime = lifetime

    # --- users ---

    def user_count(self) -> int:
        """How many accounts exist (0 before the first run)."""
        self._db.require_current_schema()
        with self._db.transaction(readonly=True) as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)

    def create_first_owner(
        self,
        *,
        clinic_name: str,
        timezone: str,
        full_name: str,
        email: str,
        password: str | None = None,
    ) -> tuple[Clinic, User, str | None]:
        """First run: the clinic and its owner. Without ``password`` a one-time password is
        made (returned once; it must be changed at the first sign-in)."""
        if self.user_count():
            raise ClinicError("this installation has accounts already: sign in as its owner")
        check_timezone(timezone)
        clinic = self._db.create_clinic(clinic_name, timezone=timezone, actor="setup")
        user, temporary = self._add(
            clinic.id, "setup", full_name=full_name, email=email, role="owner", password=password
        )
        return clinic, user, temporary

    def add_user(
        self,
        clinic_id: int,
        *,
        actor: str,
        full_name: str,
        email: str,
        role: str,
        password: str | None = None,
        practitioner_id: int | None = None,
    ) -> tuple[User, str | None]:
        """Add a member of staff; returns the one-time password when none was given."""
        return self._add(
            clinic_id,
            actor,
            full_name=full_name,
            email=email,
            role=role,
            password=password,
            practitioner_id=practitioner_id,
        )

    def _add(
        self,
        clinic_id: int,
        actor: str,
        *,
        full_name: str,
        email: str,
        role: str,
        password: str | None,
        practitioner_id: int | None = None,
    ) -> tuple[User, str | None]:
        self._db.require_current_schema()
        name = check_text(full_name, "full name", max_len=200)
        address = check_email(email)
        if address is None:
            raise ClinicError("an e-mail address is required to sign in")
        address = address.lower()
        check_choice(role, "role", ROLES)
        temporary = None if password is not None else one_time_password()
        secret = check_new_password(password, email=address) if password is not None else temporary
        assert secret is not None
        hashed = self._hasher.hash(secret)
        now = self._now()
        with self._db.transaction() as s:
            if s.scalar(select(User.id).where(User.email == address)) is not None:
                raise ClinicError(f"an account for {address} exists already")
            self._check_practitioner(s, clinic_id, practitioner_id)
            user = User(
                clinic_id=clinic_id,
                email=address,
                full_name=name,
                role=role,
                practitioner_id=practitioner_id,
                password_hash=hashed,
                password_changed_at=now,
                must_change_password=temporary is not None,
                totp_secret=None,
                totp_last_step=None,
                active=True,
                created_at=now,
                updated_at=now,
            )
            s.add(user)
            s.flush()
            self._log(s, clinic_id, actor, AuditEvent("create", "user", user.id, detail=role))
        return user, temporary

    @staticmethod
    def _check_practitioner(s: Session, clinic_id: int, practitioner_id: int | None) -> None:
        if practitioner_id is None:
            return
        found = s.scalar(
            select(Practitioner.id).where(
                Practitioner.id == practitioner_id, Practitioner.clinic_id == clinic_id
            )
        )
        if found is None:
            raise RecordNotFoundError(f"no practitioner {practitioner_id} in this clinic")

    def users(self, clinic_id: int, *, actor: str) -> list[User]:
        """Every account of a clinic, by name (an audited read)."""
        with self._db.transaction() as s:
            rows = list(
                s.scalars(select(User).where(User.clinic_id == clinic_id).order_by(User.full_name))
            )
            self._log(s, clinic_id, actor, AuditEvent("read", "user", None, detail="list"))
            return rows

    def user(self, clinic_id: int, user_id: int) -> User:
        """One account of the clinic, or :class:`RecordNotFoundError`."""
        with self._db.transaction(readonly=True) as s:
            return self._get(s, clinic_id, user_id)

    @staticmethod
    def _get(s: Session, clinic_id: int, user_id: int) -> User:
        row = s.scalar(select(User).where(User.id == user_id, User.clinic_id == clinic_id))
        if row is None:
            raise RecordNotFoundError(f"no user {user_id} in this clinic")
        return row

    def update_user(
        self,
        clinic_id: int,
        user_id: int,
        *,
        actor: str,
        role: str | None = None,
        active: bool | None = None,
        practitioner_id: int | None = None,
        unlink_practitioner: bool = False,
        full_name: str | None = None,
        email: str | None = None,
    ) -> User:
        """Change an account's name, e-mail (its sign-in) or role, link it to a practitioner,
        or disable it. A change of role or e-mail, or a disabled account, ends its sessions;
        the last active owner stays an owner; the audit names what changed, never the
        values."""
        name = None if full_name is None else check_text(full_name, "full name", max_len=200)
        address = None if email is None else check_email(email)
        if email is not None and address is None:
            raise ClinicError("an e-mail address is required to sign in")
        with self._db.transaction() as s:
            user = self._get(s, clinic_id, user_id)
            changed: list[str] = []
            if name is not None and name != user.full_name:
                user.full_name = name
                changed.append("name")
            if address is not None and address.lower() != user.email:
                taken = s.scalar(select(User.id).where(User.email == address.lower()))
                if taken is not None:
                    raise ClinicError(f"an account for {address.lower()} exists already")
                user.email = address.lower()
                changed.append("e-mail")
            if role is not None and role != user.role:
                user.role = check_choice(role, "role", ROLES)
                changed.append(f"role {role}")
            if active is not None and active != user.active:
                user.active = bool(active)
                changed.append("enabled" if active else "disabled")
            if unlink_practitioner and user.practitioner_id is not None:
                user.practitioner_id = None
                changed.append("practitioner unlinked")
            elif practitioner_id is not None and practitioner_id != user.practitioner_id:
                self._check_practitioner(s, clinic_id, practitioner_id)
                user.practitioner_id = practitioner_id
                changed.append("practitioner linked")
            s.flush()
            self._require_an_owner(s, clinic_id)
            if any(c.startswith(("role", "disabled", "e-mail")) for c in changed):
                self._end_sessions(s, user.id)
            user.updated_at = self._now()
            detail = ", ".join(changed) or "nothing changed"
            self._log(s, clinic_id, actor, AuditEvent("update", "user", user.id, detail=detail))
            return user

    @staticmethod
    def _require_an_owner(s: Session, clinic_id: int) -> None:
        owners = s.scalar(
            select(func.count())
            .select_from(User)
            .where(User.clinic_id == clinic_id, User.role == "owner", User.active.is_(True))
        )
        if not owners:
            raise ClinicError("the clinic needs an active owner: make someone else owner first")

    # --- passwords ---

    def authenticate(self, email: str, password: str, *, client: str = "") -> User | None:
        """The active account with this e-mail and password, or None (audited either way).

        The same work is done whether the address exists or not, so the answer's timing does
        not tell which addresses have accounts.
        """
        address = email.strip().lower() if isinstance(email, str) else ""
        if not isinstance(password, str) or len(password) > 4 * PASSWORD_MAX_LENGTH:
            password = ""
        with self._db.transaction() as s:
            user = s.scalar(select(User).where(User.email == address)) if address else None
            ok = self._verify(user.password_hash if user else self._dummy_hash, password)
            if user is None:
                event = AuditEvent("sign-in", "user", None, outcome="denied", detail="no account")
                append_events(
                    s,
                    chain=SYSTEM_CHAIN,
                    actor=_client(client),
                    clinic_id=None,
                    events=[event],
                    at=self._now(),
                )
                return None
            if not ok or not user.active:
                reason = "wrong password" if not ok else "account disabled"
                event = AuditEvent("sign-in", "user", user.id, outcome="denied", detail=reason)
                self._log(s, user.clinic_id, _client(client), event)
                return None
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            self._log(s, user.clinic_id, f"user:{user.id}", AuditEvent("sign-in", "user", user.id))
            return user

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def change_password(self, user: User, *, current: str, new: str) -> None:
        """Change one's own password; every session of the account ends (the caller starts a
        new one for the browser that made the change)."""
        with self._db.transaction() as s:
            row = self._get(s, user.clinic_id, user.id)
            if not self._verify(row.password_hash, current if isinstance(current, str) else ""):
                raise ClinicError("the current password is not right")
            check_new_password(new, email=row.email)
            if self._verify(row.password_hash, new):
                raise ClinicError("choose a password different from the current one")
            row.password_hash = self._hasher.hash(new)
            row.password_changed_at = row.updated_at = self._now()
            row.must_change_password = False
            self._end_sessions(s, row.id)
            event = AuditEvent("update", "user", row.id, detail="password changed")
            self._log(s, row.clinic_id, f"user:{row.id}", event)

    def reset_password(self, clinic_id: int, user_id: int, *, actor: str) -> str:
        """An owner gives an account a one-time password (returned once); its sessions end."""
        temporary = one_time_password()
        with self._db.transaction() as s:
            row = self._get(s, clinic_id, user_id)
            row.password_hash = self._hasher.hash(temporary)
            row.password_changed_at = row.updated_at = self._now()
            row.must_change_password = True
            self._end_sessions(s, row.id)
            event = AuditEvent("update", "user", row.id, detail="one-time password issued")
            self._log(s, clinic_id, actor, event)
        return temporary

    # --- TOTP ---

    @staticmethod
    def new_totp_secret() -> str:
        """A random TOTP secret (160 bits, base32) to show the user before enabling it."""
        return pyotp.random_base32(32)

    def enable_totp(self, user: User, *, secret: str, code: str) -> None:
        """Turn on TOTP once the user typed a code from their authenticator app."""
        with self._db.transaction() as s:
            row = self._get(s, user.clinic_id, user.id)
            step = _matching_step(secret, code, None)
            if step is None:
                raise ClinicError("that code does not match: check the app's clock and try again")
            row.totp_secret, row.totp_last_step = secret, step
            row.updated_at = self._now()
            event = AuditEvent("update", "user", row.id, detail="two-step sign-in enabled")
            self._log(s, row.clinic_id, f"user:{row.id}", event)

    def disable_totp(self, user: User, *, password: str) -> None:
        """Turn off TOTP (the password is asked again)."""
        with self._db.transaction() as s:
            row = self._get(s, user.clinic_id, user.id)
            if not self._verify(row.password_hash, password if isinstance(password, str) else ""):
                raise ClinicError("the password is not right")
            row.totp_secret, row.totp_last_step = None, None
            row.updated_at = self._now()
            event = AuditEvent("update", "user", row.id, detail="two-step sign-in disabled")
            self._log(s, row.clinic_id, f"user:{row.id}", event)

    def verify_totp(self, user: User, code: str, *, client: str = "") -> bool:
        """Check a TOTP code; each code (time step) is accepted once. Audited."""
        with self._db.transaction() as s:
            row = self._get(s, user.clinic_id, user.id)
            if row.totp_secret is None:
                return False
            step = _matching_step(row.totp_secret, code, row.totp_last_step)
            if step is None:
                event = AuditEvent("sign-in", "user", row.id, outcome="denied", detail="bad code")
                self._log(s, row.clinic_id, _client(client), event)
                return False
            row.totp_last_step = step
            event = AuditEvent("sign-in", "user", row.id, detail="second step")
            self._log(s, row.clinic_id, f"user:{row.id}", event)
            return True

    # --- web sessions ---

    def start_session(self, user: User, *, client: str = "", complete: bool = True) -> str:
        """A new session for ``user``; returns its token (kept only by the browser)."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._db.transaction() as s:
            row = WebSession(
                clinic_id=user.clinic_id,
                user_id=user.id,
                token_hash=_token_hash(token),
                csrf_token=secrets.token_urlsafe(32),
                stage="ok" if complete else "mfa",
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.lifetime,
                ended_at=None,
                client_address=(client or "")[:64],
            )
            s.add(row)
        return token

    def session(self, token: str | None) -> SignedIn | None:
        """The live session of ``token`` and its user, or None (expired, ended, unknown).

        Ends sessions that are idle too long, past their lifetime, older than the user's last
        password change, or whose user was disabled.
        """
        if not token or len(token) > 200:
            return None
        now = self._now()
        with self._db.transaction(readonly=True) as s:
            found = s.execute(
                select(WebSession, User)
                .join(
                    User, (User.id == WebSession.user_id) & (User.clinic_id == WebSession.clinic_id)
                )
                .where(WebSession.token_hash == _token_hash(token), WebSession.ended_at.is_(None))
            ).first()
        if found is None:
            return None
        web, user = found
        dead = (
            not user.active
            or now >= web.expires_at
            or now - web.last_seen_at >= self.idle
            or user.password_changed_at > web.created_at
        )
        if dead:
            self._end(web.id, now)
            return None
        if now - web.last_seen_at >= _TOUCH_EVERY:
            with self._db.transaction() as s:
                s.execute(
                    update(WebSession).where(WebSession.id == web.id).values(last_seen_at=now)
                )
            web.last_seen_at = now
        return SignedIn(web, user)

    def complete_session(self, token: str, *, client: str = "") -> str:
        """After the second step: end the pending session and start a full one (new token)."""
        signed = self.session(token)
        if signed is None:
            raise ClinicError("the sign-in has expired: start again")
        self.end_session(token)
        return self.start_session(signed.user, client=client, complete=True)

    def end_session(self, token: str | None, *, audit: bool = False) -> None:
        """Sign out: the session ends on the server (its cookie is worthless from now on)."""
        if not token:
            return
        with self._db.transaction() as s:
            web = s.scalar(select(WebSession).where(WebSession.token_hash == _token_hash(token)))
            if web is None or web.ended_at is not None:
                return
            web.ended_at = self._now()
            if audit:
                event = AuditEvent("sign-out", "user", web.user_id)
                self._log(s, web.clinic_id, f"user:{web.user_id}", event)

    def _end(self, session_id: int, when: datetime) -> None:
        with self._db.transaction() as s:
            s.execute(update(WebSession).where(WebSession.id == session_id).values(ended_at=when))

    def _end_sessions(self, s: Session, user_id: int) -> None:
        query = update(WebSession).where(
            WebSession.user_id == user_id, WebSession.ended_at.is_(None)
        )
        s.execute(query.values(ended_at=self._now()))

    def csrf_matches(self, signed: SignedIn, value: object) -> bool:
        """Whether a form's CSRF token is the session's."""
        return isinstance(value, str) and hmac.compare_digest(
            value.encode(), signed.session.csrf_token.encode()
        )

    # --- audit ---

    def _log(self, s: Session, clinic_id: int, actor: str, event: AuditEvent) -> None:
        append_events(
            s, chain=clinic_id, actor=actor, clinic_id=clinic_id, events=[event], at=self._now()
        )

    def _now(self) -> datetime:
        return self._db.clock.now()


def _client(client: str) -> str:
    return f"web:{client or 'unknown'}"[:200]


def _matching_step(secret: str, code: object, last_step: int | None) -> int | None:
    """The time step (now ±1) whose TOTP equals ``code``, if it was not used already."""
    if not isinstance(code, str):
        return None
    digits = code.replace(" ", "").strip()
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    now_step = int(_time.time()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, digits) and (last_step is None or step > last_step):
            return step
    return None
