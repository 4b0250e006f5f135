"""secretscan.keyed: values assigned to names that say password or secret. Given the offset of
a keyword hit, it reads the whole name and its value in the usual syntaxes and appends the
span of the value alone (the name, quotes and operator stay)."""

from __future__ import annotations

import pytest
from bigpicture.core.gather.secretscan import keyed


def assigned(text: str, keyword: str) -> list[str]:
    spans: list = []
    keyed.find_assignments(text, [text.lower().index(keyword)], spans)
    return [text[s:e] for s, e, _, _ in spans]


@pytest.mark.parametrize(
    "line",
    [
        "password = 'hunter2xyz9'",
        'db_password: "hunter2xyz9"',
        "DB_PASSWORD=hunter2xyz9",
        'let password: String = "hunter2xyz9";',
        '"password": "hunter2xyz9",',
        "$password = 'hunter2xyz9';",
    ],
)
def test_the_value_alone_is_redacted_in_each_syntax(line: str) -> None:
    assert assigned(line + "\n", "password") == ["hunter2xyz9"]


def test_placeholders_and_code_are_left_alone() -> None:
    assert assigned("password = os.environ['DB_PASSWORD']\n", "password") == []
    assert assigned("password = '${DB_PASSWORD}'\n", "password") == []
    assert assigned("password = ''\n", "password") == []
    assert assigned("password_hint = 'hunter2xyz9'\n", "password") == []  # about a password


def test_the_rule_follows_the_name() -> None:
    spans: list = []
    text = "client_secret = 'Ab3dEf9hIj2kLm5n'\n"
    keyed.find_assignments(text, [text.index("secret")], spans)
    assert [(text[s:e], rule) for s, e, rule, _ in spans] == [
        ("Ab3dEf9hIj2kLm5n", "generic-secret-assignment")
    ]


def test_a_command_line_flag_value() -> None:
    text = "run --password hunter2xyz9 --verbose\n"
    spans: list = []
    keyed.find_cli_flags(text, [text.index("password")], spans)
    assert [text[s:e] for s, e, _, _ in spans] == ["hunter2xyz9"]
