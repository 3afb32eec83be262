"""The directory's exception tree. Each error has a stable ``code`` and an HTTP ``status``.

    ZhengdingError
    ├── NotFound            (404, ``not_found``)
    ├── InvalidInput        (400, ``invalid_input``)
    │   └── SelectorSyntaxError (400, ``selector_syntax``; carries the position)
    ├── AuthenticationFailed (401, ``unauthenticated``)
    ├── PermissionDenied    (403, ``forbidden``)
    ├── Conflict            (409, ``conflict``)
    ├── ActivationRefused   (400, ``invalid_code``, ``code_expired`` or ``code_used``)
    ├── TooManyAttempts     (429, ``too_many_attempts``)
    └── PayloadTooLarge     (413, ``payload_too_large``)

Messages are for people and in Simplified Chinese; codes are for programs and never change.
"""
from __future__ import annotations

from typing import Any


class ZhengdingError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class NotFound(ZhengdingError):
    code, status = "not_found", 404


class InvalidInput(ZhengdingError):
    code, status = "invalid_input", 400


class AuthenticationFailed(ZhengdingError):
    code, status = "unauthenticated", 401


class PermissionDenied(ZhengdingError):
    code, status = "forbidden", 403


class Conflict(ZhengdingError):
    code, status = "conflict", 409


class ActivationRefused(ZhengdingError):
    """An activation code that does not work: wrong (or an unknown mobile), expired, used."""

    status = 400

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.code = code


class TooManyAttempts(ZhengdingError):
    code, status = "too_many_attempts", 429


class PayloadTooLarge(ZhengdingError):
    code, status = "payload_too_large", 413
