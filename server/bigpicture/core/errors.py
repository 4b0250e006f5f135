"""The project's error tree. Every error carries a message a user can act on.

The CLI prints ``str(error)`` as one line on stderr and exits with ``error.exit_code``;
the language server shows it as one short message and logs the details.
"""

from __future__ import annotations


class BigPictureError(Exception):
    """Base of every error BigPicture reports to a user."""

    exit_code = 3

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class UsageError(BigPictureError):
    """Bad command-line arguments."""

    exit_code = 2


class ConfigError(BigPictureError):
    """An invalid configuration value or file."""

    exit_code = 2


class GatherError(BigPictureError):
    """The workspace or the diff could not be gathered."""

    exit_code = 2


class NothingToReview(BigPictureError):
    """An empty diff: reported as such, never as a clean review."""

    exit_code = 0


class SecretScanError(BigPictureError):
    """The secret scan failed: nothing is sent (fail closed)."""

    exit_code = 3


class BudgetError(BigPictureError):
    """The request cannot be made to fit, or it would cost more than allowed."""

    exit_code = 4


class ApiError(BigPictureError):
    """A failure talking to the model's API."""

    exit_code = 5
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, detail=detail)
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.attempts = attempts


class NoApiKey(ApiError):
    pass


class BadApiKey(ApiError):
    pass


class NoModelAccess(ApiError):
    pass


class RateLimited(ApiError):
    retryable = True


class SpendLimit(ApiError):
    pass


class Overloaded(ApiError):
    retryable = True


class PromptTooLong(ApiError):
    """The API counted more input than the window; ``api_text`` is its own words
    (``prompt is too long: N tokens > M maximum``)."""

    api_text = ""


class RequestTooLarge(ApiError):
    pass


class ConnectionFailed(ApiError):
    retryable = True


class StreamBroken(ApiError):
    retryable = True


class BadRequest(ApiError):
    pass


class IncompleteReview(BigPictureError):
    """A review that did not finish: refused, cut short, malformed or broken.

    Never reported as "no findings"; carries what was recovered.
    """

    exit_code = 6

    def __init__(self, message: str, *, recovered: object = None, detail: str | None = None):
        super().__init__(message, detail=detail)
        self.recovered = recovered
