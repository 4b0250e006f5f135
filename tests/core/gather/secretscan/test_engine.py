"""secretscan.engine: the rules run where their keywords are. What ``core.gather.secrets``
relies on: spans of (start, end, rule, report) for every finding, a token's own span (not the
line), no span for text without secrets, assignments and CLI flags found through their stems
(also in non-ASCII text, with code-point offsets), and only token rules inside a decoded
base64 blob."""

from __future__ import annotations

from bigpicture.core.gather.secretscan.engine import engine

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def found(text: str, nested: bool = False) -> list[tuple[str, str]]:
    spans: list = []
    engine().scan(text, spans, nested=nested)
    return [(text[s:e], rule) for s, e, rule, report in spans if report is True]


def test_a_token_is_its_own_span() -> None:
    assert found(f"gh = Github('{TOKEN}')\n") == [(TOKEN, "github-token")]


def test_plain_code_has_no_spans() -> None:
    assert found("def f(x):\n    return x + 1\n" * 50) == []


def test_assignments_and_flags_through_their_stems_with_code_point_offsets() -> None:
    text = "é = 1; token = 'Ab3dEf9hIj2kLm5n'\nmysql --password s3cr3tPassw0rd\n"
    assert found(text) == [
        ("Ab3dEf9hIj2kLm5n", "generic-secret-assignment"),
        ("s3cr3tPassw0rd", "password-assignment"),
    ]


def test_inside_a_decoded_blob_only_token_rules_run() -> None:
    text = f"password = 'hunter2xyz9'\ngh = '{TOKEN}'\n"
    assert found(text, nested=True) == [(TOKEN, "github-token")]


def test_the_engine_is_built_once() -> None:
    assert engine() is engine()
    assert len(engine().by_id) == len(engine().rules)
