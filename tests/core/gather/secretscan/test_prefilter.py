"""secretscan.prefilter: every rule's keywords found in one pass over the text's UTF-8 bytes.
What the engine relies on: a rule's keyword hits are reported for that rule; a name stem is an
assignment candidate only when an operator follows the name, a CLI candidate after a "-";
stems match in their three casings; non-ASCII stems are searched in non-ASCII text; byte
offsets convert to code points."""

from __future__ import annotations

from bigpicture.core.gather.secretscan import prefilter
from bigpicture.core.gather.secretscan.engine import engine


def hits(text: str) -> prefilter.Hits:
    return engine().prefilter.find(text.encode("utf-8"), text.isascii())


def rule_ids(found: prefilter.Hits) -> set[str]:
    return {engine().rules[i].rule.id for i in found.rules}


def test_a_tokens_prefix_is_a_hit_for_its_rule_only() -> None:
    text = "gh = 'ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2'\n"
    found = hits(text)
    assert "github-token" in rule_ids(found)
    assert "aws-access-key" not in rule_ids(found)
    s, e = found.rules[engine().by_id["github-token"].index][0]
    assert text.encode()[s:e].lower().startswith(b"ghp_")


def test_stems_are_candidates_only_before_an_operator() -> None:
    assert hits("password = 'x'\n").candidates == [0]
    assert hits("PASSWORD: x\n").candidates == [0] and hits("Password=x\n").candidates == [0]
    assert hits("print(password)\nif password in seen:\n").candidates == []
    assert hits("run --password x\n").cli == [6]


def test_non_ascii_stems_and_offsets_in_code_points() -> None:
    text = "é = 1\nпароль = 'x'\n"
    found = hits(text)
    assert len(found.candidates) == 1
    to_char = prefilter.Offsets(text.encode("utf-8"))
    assert to_char(found.candidates[0]) == text.index("пароль")
    assert to_char(0) == 0  # asked again from the start


def test_variants_and_base64_prefixes() -> None:
    assert prefilter.variants("pass") == {"pass", "Pass", "PASS"}
    # A token prefix as it appears inside base64, at each of the three alignments.
    assert "Z2hwX" in prefilter.b64_prefixes("ghp_")
