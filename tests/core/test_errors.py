"""core.errors: each kind of failure has its exit code, and the API's carry what editors need."""

from __future__ import annotations

import inspect

import pytest
from bigpicture.core import errors


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (errors.UsageError, 2),
        (errors.ConfigError, 2),
        (errors.GatherError, 2),
        (errors.NothingToReview, 0),
        (errors.SecretScanError, 3),
        (errors.BudgetError, 4),
        (errors.ApiError, 5),
        (errors.RateLimited, 5),
        (errors.IncompleteReview, 6),
    ],
)
def test_exit_codes(cls: type[errors.BigPictureError], code: int) -> None:
    assert cls("x").exit_code == code


def test_exit_one_is_never_an_error_code() -> None:
    # 1 means "findings at or above --fail-on": no failure may use it
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.BigPictureError):
            assert cls.exit_code != 1, cls


def test_api_errors_carry_status_request_id_and_retry_facts() -> None:
    e = errors.RateLimited(
        "rate limited", status=429, request_id="req_1", retry_after=12.0, attempts=3
    )
    assert (e.status, e.request_id, e.retry_after, e.attempts) == (429, "req_1", 12.0, 3)
    assert str(e) == e.message == "rate limited"
    assert e.retryable and errors.Overloaded("o").retryable
    assert not errors.BadApiKey("k").retryable and not errors.PromptTooLong("p").retryable


def test_incomplete_review_keeps_what_was_recovered() -> None:
    e = errors.IncompleteReview("cut off", recovered=["f1"], detail="stop_reason max_tokens")
    assert e.recovered == ["f1"] and e.detail == "stop_reason max_tokens"
