"""The API error the fake raises internally and turns into a documented error response."""

from __future__ import annotations

import uuid
from typing import Any

# §6.1: HTTP status per error.type, for turning a StreamError into a plain HTTP error.
STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "conflict_error": 409,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def new_request_id() -> str:
    return "req_011" + uuid.uuid4().hex[:21]


class ApiError(Exception):
    """An error response: HTTP ``status``, ``error.type`` and ``error.message``."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        return error_body(self.error_type, self.message, request_id)


def error_body(error_type: str, message: str, request_id: str | None) -> dict[str, Any]:
    """The documented error shape (§6.1), ``request_id`` included since 2025-08-19."""
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)
