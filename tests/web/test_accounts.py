"""Staff accounts (smpstudio.clinic._accounts) on SQLite and PostgreSQL: passwords, TOTP,
sessions, roles, the last owner, isolation between clinics and the audit of it all."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select

from smpstudio import ClinicError
from smpstudio.clinic import Accounts, AuditEntry, RecordNotFoundError
from smpstudio.clinic._accounts import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    check_new_password,
    one_time_password,
)
from tests.web.conftest import HASHER, PASSWORD, World


def _user(world: World, role: str = "practitioner"):  # type: ignore[no-untyped-def]
    accounts = world.accounts
    return accounts.authenticate(world.a.staff[role], PASSWORD)


def test_password_lengths_are_checked_one_unit_over_each_limit() -> None:
    with pytest.raises(ClinicError, match="7 characters; use at least 8"):
        check_new_password("x" * (PASSWORD_MIN_LENGTH - 1) + "")
    assert check_new_password("abcdefgh") == "abcdefgh"
    assert check_new_password("é" * PASSWORD_MAX_LENGTH) == "é" * PASSWORD_MAX_LENGTH
    with pytest.raises(ClinicError, match="longer than 128"):
        check_new_password("é" * (PASSWORD_MAX_LENGTH + 1))


@pytest.mark.parametrize("common", ["password", "Password1", "12345678", "qwertyuiop"])
def test_common_passwords_and_the_email_are_refused(common: str) -> None:
    with pytest.raises(ClinicError, match="most common"):
        check_new_password(common)
    with pytest.raises(ClinicError, match="e-mail"):
        check_new_password("kim.roe@example.com", email="kim.roe@example.com")


def test_one_time_passwords_are_long_and_random() -> None:
    seen = {one_time_password() for _ in range(50)}
    assert len(seen) == 50
    assert all(len(p) == 23 and p.count("-") == 3 for p in seen)


def test_first_owner_once_then_sign_in_with_the_one_time_password(world_on: World) -> None:
    accounts = world_on.accounts
    with pytest.raises(ClinicError, match="has accounts already"):
        accounts.create_first_owner(
            clinic_name="Again", timezone="UTC", full_name="X", email="x@y.example"
        )
    user, temporary = accounts.add_user(
        world_on.a.id,
        actor="test",
        full_name="New Person",
        email="New.Person@Soho.example",
        role="front-desk",
    )
    assert temporary is not None
    assert user.email == "new.person@soho.example"
    signed = accounts.authenticate("NEW.person@soho.example ", temporary)
    assert signed is not None
    assert signed.must_change_password
    accounts.change_password(signed, current=temporary, new="a brand new passphrase")
    assert accounts.authenticate("new.person@soho.example", temporary) is None
    again = accounts.authenticate("new.person@soho.example", "a brand new passphrase")
    assert again is not None
    assert not again.must_change_password
    with pytest.raises(ClinicError, match="exists already"):
        accounts.add_user(
            world_on.a.id,
            actor="t",
            full_name="Y",
            email="new.person@soho.example",
            role="owner",
            password=PASSWORD,
        )


def test_a_unicode_passphrase_round_trips_exactly(world: World) -> None:
    phrase = "Grüße, 東京の夜 🌙 ok"
    world.accounts.add_user(
        world.a.id,
        actor="t",
        full_name="U",
        email="unicode@soho.example",
        role="practitioner",
        password=phrase,
    )
    assert world.accounts.authenticate("unicode@soho.example", phrase) is not None
    assert world.accounts.authenticate("unicode@soho.example", phrase.upper()) is None
    assert world.accounts.authenticate("unicode@soho.example", phrase + " ") is None


def test_hashes_are_argon2id_rfc9106_and_renewed_when_parameters_change(world: World) -> None:
    strong = Accounts(world.db)  # the production parameters
    user, _ = strong.add_user(
        world.a.id,
        actor="t",
        full_name="H",
        email="hash@soho.example",
        role="practitioner",
        password="a long passphrase",
    )
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = Accounts(world.db, hasher=PasswordHasher.from_parameters(CHEAPEST))
    assert cheap.authenticate("hash@soho.example", "a long passphrase") is not None
    renewed = cheap.user(world.a.id, user.id).password_hash
    assert renewed.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_sign_ins_are_audited_without_secrets(world: World) -> None:
    email = world.a.staff["front-desk"]
    assert world.accounts.authenticate(email, "wrong password!") is None
    assert world.accounts.authenticate("nobody@nowhere.example", "whatever1") is None
    with world.db.transaction(readonly=True) as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "sign-in")))
    denied = [r for r in rows if r.outcome == "denied"]
    assert {r.detail for r in denied} >= {"wrong password", "no account"}
    assert {r.chain for r in denied if r.detail == "no account"} == {0}
    for r in rows:
        assert PASSWORD not in r.detail
        assert "wrong password!" not in r.detail
        assert "nobody@nowhere" not in r.actor + r.detail


def test_sessions_end_at_sign_out_idle_lifetime_password_change_and_disabling(
    world_on: World,
) -> None:
    accounts = world_on.accounts
    user = _user(world_on, "front-desk")
    token = accounts.start_session(user)
    assert len(token) >= 43  # 256 bits, url-safe
    assert accounts.session(token) is not None
    accounts.end_session(token)
    assert accounts.session(token) is None
    brief = Accounts(world_on.db, hasher=HASHER, idle=timedelta(milliseconds=50))
    token = brief.start_session(user)
    time.sleep(0.06)
    assert brief.session(token) is None
    short = Accounts(world_on.db, hasher=HASHER, lifetime=timedelta(milliseconds=50))
    token = short.start_session(user)
    time.sleep(0.06)
    assert short.session(token) is None


def test_a_password_change_or_disabling_ends_every_session(world: World) -> None:
    accounts = world.accounts
    user, _ = accounts.add_user(
        world.a.id,
        actor="t",
        full_name="S",
        email="sess@soho.example",
        role="practitioner",
        password=PASSWORD,
    )
    one, two = accounts.start_session(user), accounts.start_session(user)
    accounts.change_password(user, current=PASSWORD, new="another good passphrase")
    assert accounts.session(one) is None
    assert accounts.session(two) is None
    three = accounts.start_session(user)
    assert accounts.session(three) is not None
    accounts.update_user(world.a.id, user.id, actor="t", active=False)
    assert accounts.session(three) is None
    assert accounts.authenticate("sess@soho.example", "another good passphrase") is None


def test_name_and_email_can_be_changed_and_a_new_email_ends_sessions(world_on: World) -> None:
    accounts = world_on.accounts
    user, _ = accounts.add_user(
        world_on.a.id,
        actor="t",
        full_name="Sam Old",
        email="rename@soho.example",
        role="front-desk",
        password=PASSWORD,
    )
    token = accounts.start_session(user)
    accounts.update_user(world_on.a.id, user.id, actor="t", full_name="Sam New")
    assert accounts.session(token) is not None  # a new name keeps the sign-in
    assert accounts.user(world_on.a.id, user.id).full_name == "Sam New"
    accounts.update_user(world_on.a.id, user.id, actor="t", email="Renamed@Soho.example")
    assert accounts.session(token) is None  # a new sign-in name ends the sessions
    assert accounts.authenticate("rename@soho.example", PASSWORD) is None
    assert accounts.authenticate("renamed@soho.example", PASSWORD) is not None
    with pytest.raises(ClinicError, match="exists already"):
        accounts.update_user(
            world_on.a.id, user.id, actor="t", email=world_on.a.staff["practitioner"]
        )
    with pytest.raises(ClinicError, match=r"e-mail|not a valid"):
        accounts.update_user(world_on.a.id, user.id, actor="t", email="no-at-sign")
    with pytest.raises(ClinicError, match="full name"):
        accounts.update_user(world_on.a.id, user.id, actor="t", full_name="x" * 201)
    assert accounts.user(world_on.a.id, user.id).email == "renamed@soho.example"
    with world_on.db.transaction(readonly=True) as s:
        details = s.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id)
            )
        ).all()
    assert "name" in details
    assert "e-mail" in details
    assert not any("Sam" in d or "renamed@" in d for d in details)


def test_a_role_change_ends_sessions_and_the_last_owner_stays(world_on: World) -> None:
    accounts = world_on.accounts
    user = _user(world_on, "practitioner")
    token = accounts.start_session(user)
    accounts.update_user(world_on.a.id, user.id, actor="t", role="front-desk")
    assert accounts.session(token) is None
    accounts.update_user(world_on.a.id, user.id, actor="t", role="practitioner")
    owner = accounts.authenticate(world_on.b.staff["owner"], PASSWORD)
    with pytest.raises(ClinicError, match="needs an active owner"):
        accounts.update_user(world_on.b.id, owner.id, actor="t", role="practitioner")
    with pytest.raises(ClinicError, match="needs an active owner"):
        accounts.update_user(world_on.b.id, owner.id, actor="t", active=False)
    assert accounts.user(world_on.b.id, owner.id).role == "owner"


def test_accounts_of_another_clinic_do_not_exist(world_on: World) -> None:
    accounts = world_on.accounts
    user = _user(world_on, "practitioner")
    with pytest.raises(RecordNotFoundError):
        accounts.user(world_on.b.id, user.id)
    with pytest.raises(RecordNotFoundError):
        accounts.update_user(world_on.b.id, user.id, actor="t", role="owner")
    with pytest.raises(RecordNotFoundError):
        accounts.reset_password(world_on.b.id, user.id, actor="t")
    with pytest.raises(RecordNotFoundError):  # B's practitioner cannot be linked to A's account
        accounts.update_user(
            world_on.a.id, user.id, actor="t", practitioner_id=world_on.b.practitioner_id
        )
    assert user.id not in {u.id for u in accounts.users(world_on.b.id, actor="t")}


def test_totp_accepts_one_step_of_drift_and_each_code_once(world_on: World) -> None:
    accounts = world_on.accounts
    user, _ = accounts.add_user(
        world_on.a.id,
        actor="t",
        full_name="T",
        email=f"totp-{world_on.db.backend}@soho.example",
        role="practitioner",
        password=PASSWORD,
    )
    secret = accounts.new_totp_secret()
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // 30
    with pytest.raises(ClinicError, match="does not match"):
        accounts.enable_totp(
            user, secret=secret, code="000000" if totp.now() != "000000" else "111111"
        )
    accounts.enable_totp(user, secret=secret, code=totp.generate_otp(step - 1))
    user = accounts.user(world_on.a.id, user.id)
    assert user.totp_enabled
    assert not accounts.verify_totp(user, totp.generate_otp(step - 1))  # used for enabling
    assert not accounts.verify_totp(user, totp.generate_otp(step + 2))  # two steps ahead
    assert accounts.verify_totp(user, totp.generate_otp(step))
    assert not accounts.verify_totp(user, totp.generate_otp(step))  # replay
    assert accounts.verify_totp(user, totp.generate_otp(step + 1))  # one step of drift
    with pytest.raises(ClinicError, match="password is not right"):
        accounts.disable_totp(user, password="not it at all")
    accounts.disable_totp(user, password=PASSWORD)
    assert not accounts.user(world_on.a.id, user.id).totp_enabled


def test_one_time_password_reset_ends_sessions(world: World) -> None:
    accounts = world.accounts
    user, _ = accounts.add_user(
        world.a.id,
        actor="t",
        full_name="R",
        email="reset@soho.example",
        role="front-desk",
        password=PASSWORD,
    )
    token = accounts.start_session(user)
    temporary = accounts.reset_password(world.a.id, user.id, actor="owner")
    assert accounts.session(token) is None
    again = accounts.authenticate("reset@soho.example", temporary)
    assert again is not None
    assert again.must_change_password
