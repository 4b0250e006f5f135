"""secretscan.values: whether a value is a secret and whether a name says it holds one. What the
finders rely on: placeholders, paths, URLs, versions, prose and word-made names are never
secrets; short or single-class passwords are not either; hex and mixed tokens with entropy
are; a name's last word can say it is *about* a secret (``password_hint``)."""

from __future__ import annotations

import pytest
from bigpicture.core.gather.secretscan import values as sv


def test_entropy_in_bits_per_character() -> None:
    assert sv.entropy("") == 0.0 and sv.entropy("aaaa") == 0.0
    assert sv.entropy("abcd") == 2.0
    assert sv.char_classes("aB3-") == 4 and sv.char_classes("abc") == 1


@pytest.mark.parametrize(
    "value", ["", "   ", "${DB_PASSWORD}", "<your-token>", "changeme", "{{ secret }}"]
)
def test_placeholders_are_not_secrets(value: str) -> None:
    assert sv.is_placeholder(value)
    assert not sv.password_value_ok(value) and not sv.generic_value_ok(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Tr0ub4dor&3x", True),
        ("hunter2xyz9", True),
        ("abc12", False),  # under MIN_PASSWORD_LEN
        ("/etc/passwd", False),  # a path
        ("1.2.840.113549", False),  # an OID / a version
        ("https://example.com/login", False),  # a URL
        ("please enter it here", False),  # prose
    ],
)
def test_password_values(value: str, ok: bool) -> None:
    assert sv.password_value_ok(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Ab3dEf9hIj2kLm5n", True),  # mixed letters and digits, high entropy
        ("9f86d081884c7d659a2f", True),  # hex with letters and digits
        ("sha256_token_to_refresh", False),  # words
        ("previousToken2", False),  # a name
        ("short1A", False),  # under 12 characters
        ("a b c d e f g h i j", False),  # spaces
    ],
)
def test_generic_values(value: str, ok: bool) -> None:
    assert sv.generic_value_ok(value) is ok


def test_tokens_look_machine_made_and_documented_examples_are_fake() -> None:
    assert sv.random_token("a8Kf3Lq9Zx2Mv7")
    assert not sv.random_token("abcdefgh")  # no digits
    assert sv.is_fake_token("AKIAIOSFODNN7EXAMPLE") and sv.is_fake_token("ghp_xxxxxxxxxxxx")
    assert not sv.is_fake_token("a8Kf3Lq9Zx2Mv7")


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("password", "password-assignment"),
        ("self.dbPassword", "password-assignment"),
        ("DB_PASS", "password-assignment"),
        ("client_secret", "generic-secret-assignment"),
        ("api_key", "generic-secret-assignment"),
        ("authToken", "generic-secret-assignment"),
        ("password_hint", None),  # about a password, not one
        ("token_url", None),
        ("tokenizer", None),
        ("author", None),
        ("monkey", None),  # "key" only after a qualifier
    ],
)
def test_which_names_hold_secrets(key: str, rule: str | None) -> None:
    assert sv.classify_key(key) == rule


def test_key_words_split_the_last_dotted_part() -> None:
    assert sv.key_words("self.dbPassword") == ["db", "password"]
    assert sv.key_words("config.API_KEY") == ["api", "key"]
