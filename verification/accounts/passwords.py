"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low
memory profile). Checking a password always costs one hash, also for an
unknown user, so that timing does not tell which names exist."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from verification.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("not a password of anyone")


def check_strength(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"the password is {len(password)} characters long, expected at least {MIN_LENGTH}"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password is longer than {MAX_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("the password is only blanks")
    return password


def hash_password(password: str) -> str:
    return hasher().hash(check_strength(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with ``stored_hash`` None (no such user)
    a dummy hash is checked, so the answer takes as long and is False."""
    try:
        ok = hasher().verify(stored_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)
