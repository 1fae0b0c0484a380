"""Two-factor sign-in: TOTP codes (RFC 6238, pyotp) and one-time recovery codes.

- Enrolling: a secret drawn on the server, shown as a QR code (SVG drawn on the server by segno, in
  the page itself: no script, no image request) and as text for apps without a camera; it is saved
  only when a code made from it is confirmed.
- Each code works once: the last time-step accepted is kept on the account, and a conditional UPDATE
  moves it forward, so a code replayed, even to another server process at the same moment, fails.
  A code from the step before or after is accepted too, for a phone's clock a little out.
- Every code attempt, at sign-in or when enrolling, is claimed before it is checked (code_attempts.py).
- Ten recovery codes of 16 letters and digits (80 random bits each), stored as SHA-256 and deleted
  when used; shown once.
"""

import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, or_, update

from app.extensions import db
from app.models import StaffRecoveryCode, StaffUser
from app.staff.auth import code_attempts

ISSUER = "Survey staff area"
RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, none that look alike (0/O, 1/I)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG; segno escapes nothing we did not give it, and the URI is ours."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", border=4)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1).replace(
        ">", '><title id="qr-title">QR code for your authenticator app</title>', 1
    ))


def formatted_secret(secret: str) -> str:
    """The secret in groups of four, easier to type."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def _clean(code: str) -> str:
    """The code as typed, in ASCII letters and digits only: spaces and dashes dropped, and digits of any
    script ("١٢٣" from an Arabic or Urdu keyboard) as 0-9, which the comparison below requires."""
    kept = []
    for char in code or "":
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            kept.append(str(digit))
        elif char.isascii() and char.isalnum():
            kept.append(char)
    return "".join(kept).upper()


def code_matches(secret: str, code: str, at: datetime, after_step: int | None) -> int | None:
    """The time-step `code` belongs to (this one, or one either side), if later than `after_step`."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in (now_step - 1, now_step, now_step + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_code(user: StaffUser, code: str, at: datetime) -> bool:
    """Accept a TOTP code for an enrolled account once: the step is claimed with a conditional UPDATE."""
    if not user.totp_secret:
        return False
    step = code_matches(user.totp_secret, code, at, user.totp_last_step)
    if step is None:
        return False
    claimed = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount
    db.session.commit()
    return claimed == 1


def enrol(user: StaffUser, secret: str, code: str, at: datetime) -> list[str] | None:
    """Save the secret if `code` was made from it; returns the new recovery codes (to show once).

    The attempt is claimed first, as at sign-in (code_attempts.py): None, unchecked, when refused."""
    if not code_attempts.claim(user):
        return None
    step = code_matches(secret, code, at, None)
    if step is None:
        return None
    code_attempts.reset(user)
    user.totp_secret, user.totp_last_step = secret, step
    db.session.commit()
    return new_recovery_codes(user)


def looks_like_recovery_code(code: str) -> bool:
    """Sixteen letters and digits (spaces and hyphens aside): what may still be tried when codes are locked."""
    return len(_clean(code)) == 16


def _code_hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def new_recovery_codes(user: StaffUser) -> list[str]:
    """Replace the account's recovery codes by ten new ones; only their hashes are kept."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(16)) for _ in range(RECOVERY_CODES)]
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))
    db.session.add_all(StaffRecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    db.session.commit()
    return ["-".join(code[index : index + 4] for index in range(0, 16, 4)) for code in codes]


def use_recovery_code(user: StaffUser, code: str) -> bool:
    """Accept a recovery code once: deleting its row is the check, so two uses cannot both succeed."""
    if not looks_like_recovery_code(code):
        return False
    used = db.session.execute(
        delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id, StaffRecoveryCode.code_hash == _code_hash(code))
    ).rowcount
    db.session.commit()
    return used == 1


def recovery_codes_left(user: StaffUser) -> int:
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))


def reset(user: StaffUser) -> None:
    """Forget the account's second factor (a lost phone), and any lockout; it enrols again at its next sign-in."""
    user.totp_secret, user.totp_last_step = None, None
    user.failed_codes, user.last_failed_code_at = 0, None
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))
    db.session.commit()
