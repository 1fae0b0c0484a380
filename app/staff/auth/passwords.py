"""Passwords: what is accepted, and hashing them with scrypt.

A new password must be 12 characters or more and not easy to guess: zxcvbn estimates offline how
many guesses it would take (dictionaries of common passwords, names and words, keyboard runs,
repeats, dates), and anything below "safely unguessable" (score 3) is refused.
"""

import secrets
import unicodedata
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for any passphrase; zxcvbn's time grows with length
MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable", 4 "very unguessable"
HASH_METHOD = "scrypt"  # slow and salted; werkzeug's default parameters


def has_odd_characters(text: str) -> bool:
    """Control, format, surrogate or unassigned characters (NUL, tabs, zero-width...), or U+FFFD (what a
    byte that is not UTF-8 becomes): never in a staff field."""
    return any(unicodedata.category(char)[0] == "C" or char == "\ufffd" for char in text)


def weakness(password: str, username: str = "") -> str | None:
    """Why a new password is refused, in words, or None when it is good enough."""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"The password must be at most {MAX_LENGTH} characters long."
    if has_odd_characters(password):
        return "The password must not contain control characters."
    estimate = zxcvbn(password, user_inputs=[username, "survey", "staff", "safety"])
    if estimate["score"] < MIN_SCORE:
        hint = estimate["feedback"].get("warning") or "It is too easy to guess."
        return f"Choose a password that is harder to guess. {hint} A few unrelated words work well."
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def matches(password_hash: str | None, password: str) -> bool:
    """Check a password against a hash; with no hash (an unknown account), against a dummy one, so the
    time taken does not tell whether the account exists."""
    return check_password_hash(password_hash or _dummy_hash(), password) and password_hash is not None


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=HASH_METHOD)
