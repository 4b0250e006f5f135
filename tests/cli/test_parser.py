"""Option checks: a limit that limits nothing, an empty model or a zero size is a usage error
(exit 2) before anything is read or sent, and the same values from pyproject.toml fall back
with a warning."""

from __future__ import annotations

import pytest
from bigpicture.cli import main
from bigpicture.core import config
from conftest import write


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--max-cost", "nan"], "not a limit"),
        (["--max-cost", "inf"], "not a limit"),
        (["--max-cost=-infinity"], "not a limit"),
        (["--max-cost", "-0.5"], "not a limit"),
        (["--max-cost", "1e999"], "not a limit"),
        (["--max-cost", "five"], "not an amount"),
        (["--model", ""], "empty model"),
        (["--model", "   "], "empty model"),
        (["--max-file-size", "0"], "greater than 0"),
    ],
)
def test_a_bad_option_is_exit_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as exited:
        main(["review", str(tmp_path), "--dry-run", *args])
    assert exited.value.code == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "0.25", "3"])
def test_a_finite_limit_is_accepted(tmp_path, capsys, value):
    write(tmp_path, "a.py", "x = 1\n")
    assert main(["review", str(tmp_path), "--dry-run", "-q", "--max-cost", value]) == 0


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ("maxCostPerReview = nan", "maxCostPerReview", "finite"),
        ("maxCostPerReview = inf", "maxCostPerReview", "finite"),
        ("maxCostPerReview = -1", "maxCostPerReview", "negative"),
        ('model = "  "', "model", "non-empty"),
    ],
)
def test_the_same_values_from_pyproject_fall_back_with_a_warning(tmp_path, line, key, words):
    write(tmp_path, "pyproject.toml", f"[tool.bigpicture]\n{line}\n")
    settings, warnings = config.load(tmp_path)
    assert getattr(settings, key) == getattr(config.Settings(), key)
    assert any(words in w and key in w for w in warnings), warnings
