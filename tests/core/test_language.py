"""The ``language`` setting: BCP 47 tags checked against the IANA registry, normalized, named
in the request; a bad tag is a usage error on the command line and a clear warning (the
earlier value kept) from pyproject.toml or the editor."""

from __future__ import annotations

import pytest
from bigpicture.cli import main
from bigpicture.core import config, language
from conftest import write


@pytest.mark.parametrize(
    ("tag", "standard", "described"),
    [
        ("zh-CN", "zh-CN", "zh-CN (Simplified Chinese)"),
        ("zh-cn", "zh-CN", "zh-CN (Simplified Chinese)"),
        ("zh-Hant-TW", "zh-Hant-TW", "zh-Hant-TW (Traditional Chinese)"),
        ("ja", "ja", "ja (Japanese)"),
        ("de", "de", "de (German)"),
        ("pt-BR", "pt-BR", "pt-BR (Brazilian Portuguese)"),
        ("es-419", "es-419", "es-419 (Latin American Spanish)"),
        ("tlh", "tlh", "tlh"),  # valid, not in the table of names: the tag alone
    ],
)
def test_valid_tags_are_normalized_and_described(tag, standard, described):
    assert language.normalize(tag) == standard
    assert language.described(standard) == described


@pytest.mark.parametrize("tag", ["xx", "zz-ZZ", "Chinese", "zh_CN!", "", "  ", "en-"])
def test_invalid_tags_are_refused(tag):
    with pytest.raises(ValueError, match="not a BCP 47 language tag"):
        language.normalize(tag)


def test_the_instruction_names_the_tag_and_keeps_code_verbatim():
    text = language.instruction("zh-CN")
    assert text.startswith("Write in zh-CN (Simplified Chinese)")
    assert "verbatim" in text and "quotes" in text and "identifiers" in text
    assert language.instruction(None) == ""


def test_a_bad_tag_on_the_command_line_is_exit_2(tmp_path, capsys):
    write(tmp_path, "a.py", "x = 1\n")
    assert main(["review", str(tmp_path), "--dry-run", "-q", "--language", "klingon"]) == 2
    err = capsys.readouterr().err
    assert "'klingon' is not a BCP 47 language tag" in err
    assert main(["review", str(tmp_path), "--dry-run", "-q", "--language", "zh-cn"]) == 0


def test_a_bad_tag_in_pyproject_is_a_warning_and_english_stays(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.bigpicture]\nlanguage = "chinese"\n')
    settings, warnings = config.load(tmp_path)
    assert settings.language is None
    assert any("language = 'chinese' is not a BCP 47 language tag" in w for w in warnings)
    write(tmp_path, "pyproject.toml", '[tool.bigpicture]\nlanguage = "ja-jp"\n')
    settings, warnings = config.load(tmp_path)
    assert (settings.language, warnings) == ("ja-JP", [])


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("minConfidence", 1.5, "between 0 and 1"),
        ("minConfidence", -0.1, "negative"),
        ("maxFindings", 0, "at least 1"),
        ("verify", "always", "must be one of"),
    ],
)
def test_verification_settings_are_checked(key, value, words):
    warnings: list[str] = []
    settings = config.merge(config.Settings(), {key: value}, origin="editor", warnings=warnings)
    assert getattr(settings, key) == getattr(config.Settings(), key)
    assert words in warnings[0]


@pytest.mark.parametrize(("args", "words"), [(["--min-confidence", "2"], "from 0 to 1")])
def test_a_bad_confidence_is_exit_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as exited:
        main(["review", str(tmp_path), "--dry-run", *args])
    assert exited.value.code == 2
    assert words in capsys.readouterr().err
