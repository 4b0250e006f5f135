"""core.request.tokens: the local estimate errs on the side of more tokens."""

from __future__ import annotations

import math

from bigpicture.core.request import tokens


def test_ratio_per_kind() -> None:
    text = "x" * 3200
    assert tokens.estimate(text, "source") == 1000
    assert tokens.estimate(text, "config") == math.ceil(3200 / 3.0)
    assert tokens.estimate(text, "doc") == math.ceil(3200 / 3.8)
    assert tokens.estimate(text, "unknown-kind") == 1000
    assert tokens.estimate("") == 0


def test_each_non_ascii_character_counts_as_a_token() -> None:
    assert tokens.estimate("漢字かな") == 4  # 3 UTF-8 bytes each
    assert tokens.estimate("é" * 10) >= 5
    text = "名前 = '値'"
    assert tokens.estimate(text, nbytes=len(text.encode())) == tokens.estimate(text)


def test_framing_grows_with_the_path_and_is_at_least_the_measured_26() -> None:
    short = tokens.framing("a.py", 10)
    assert short >= 26  # measured on the API for a short path
    assert tokens.framing("src/" + "deep/" * 20 + "module.py", 10) > short
    assert tokens.framing('we"ird.py', 10) > tokens.framing("weird.py", 10)  # JSON quoting
