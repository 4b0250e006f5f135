"""secretscan.pem: private-key blocks. A block keeps its BEGIN and END lines and its line
count; each body line is replaced (also inside a JSON string with \\n escapes); a public key or
a certificate is not a private key."""

from __future__ import annotations

from bigpicture.core.gather.secretscan import pem

BODY = ["MIIEpAIBAAKCAQEA1234567890abcdefghij", "QWERTYUIOPasdfghjklzxcvbnm0987654321"]
KEY = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(BODY) + "\n-----END RSA PRIVATE KEY-----\n"


def redacted(text: str) -> list[str]:
    spans: list = []
    pem.find_private_keys(text, spans)
    return [text[s:e] for s, e, _, report in spans if report is not True]


def test_each_body_line_is_a_piece_and_the_block_one_finding() -> None:
    spans: list = []
    pem.find_private_keys(KEY, spans)
    assert [r for *_, r in spans].count("hit") == 1  # one finding, reported once
    assert redacted(KEY)[1:] == BODY  # the body lines, not the BEGIN and END lines
    assert all(rule == "private-key" for _, _, rule, _ in spans)


def test_a_key_inside_a_json_string_with_escaped_newlines() -> None:
    text = '{"key": "' + KEY.replace("\n", "\\n") + '"}\n'
    pieces = redacted(text)
    assert BODY[0] in "".join(pieces) and BODY[1] in "".join(pieces)
    assert "BEGIN RSA PRIVATE KEY" not in "".join(pieces)


def test_public_keys_and_certificates_are_not_private_keys() -> None:
    for kind in ("PUBLIC KEY", "CERTIFICATE"):
        text = f"-----BEGIN {kind}-----\n" + "\n".join(BODY) + f"\n-----END {kind}-----\n"
        spans: list = []
        pem.find_private_keys(text, spans)
        assert spans == []


def test_a_putty_key_keeps_its_public_lines() -> None:
    text = (
        "PuTTY-User-Key-File-3: ssh-ed25519\n"
        "Encryption: none\n"
        "Comment: me\n"
        "Public-Lines: 1\n"
        "AAAAC3NzaC1lZDI1NTE5AAAAIPublicPartOfTheKey0123456789\n"
        "Private-Lines: 1\n"
        "AAAAIHPrivatePartOfTheKeyAbCdEf0123456789xyz\n"
        "Private-MAC: 0123456789abcdef0123456789abcdef\n"
    )
    spans: list = []
    pem.find_putty_keys(text, spans)
    covered = "".join(text[s:e] for s, e, *_ in spans)
    assert "PrivatePartOfTheKey" in covered
    assert "PublicPartOfTheKey" not in covered
