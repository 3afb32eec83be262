"""Passwords (argon2id) and opaque API tokens (random, stored as SHA-256): pure functions."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: Verified against when the account does not exist, so timing does not reveal which mobiles exist.
_DUMMY_HASH = _hasher.hash("zhengding-dummy-password")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unset hash (not activated) never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_activation_code(digits: int = 8) -> str:
    """A random numeric code, easy to type from an SMS."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def code_digest(person_id: int, code: str) -> str:
    """What is stored of an activation code: bound to its person, so equal codes of two people
    differ and a digest cannot be replayed for someone else."""
    return hashlib.sha256(f"zhengding-activation:{person_id}:{code}".encode()).hexdigest()
