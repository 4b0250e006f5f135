"""core.config: typed settings, how sources merge, and what a workspace may not set."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core import config
from bigpicture.core.config import Settings, load, merge, setting_docs
from bigpicture.core.errors import ConfigError


def test_every_setting_is_documented() -> None:
    docs = setting_docs()
    assert set(docs) == set(config.SETTING_NAMES)
    assert all(len(text) > 20 for text in docs.values())


def test_later_sources_win_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bigpicture]\nmodel = "claude-haiku-4-5"\nmax-cost-per-review = 2\n'
    )
    settings, warnings = load(
        tmp_path,
        ("initializationOptions", {"maxCostPerReview": 0.5, "exclude": "vendor/**"}),
        ("flags", {"min_severity": "high"}),
    )
    assert warnings == []
    assert settings.model == "claude-haiku-4-5"  # from pyproject, untouched later
    assert settings.maxCostPerReview == 0.5  # the editor's value over pyproject's
    assert settings.exclude == ("vendor/**",)  # one pattern becomes a list
    assert settings.minSeverity == "high"  # snake_case accepted


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("maxCostPerReview", "1", "must be a number"),
        ("maxCostPerReview", -1, "must not be negative"),
        ("keepWarm", "yes", "must be true or false"),
        ("maxFileSize", 1.5, "must be an integer"),
        ("thinkingBudget", 100, "at least 1024"),
        ("cacheTtl", "2h", "must be one of"),
        ("minSeverity", "urgent", "must be one of"),
        ("model", "", "non-empty string"),
        ("exclude", ["../outside/**"], "escapes the workspace"),
        ("models", [], "table/object"),
    ],
)
def test_an_invalid_value_keeps_the_earlier_one_with_a_reason(key, value, reason) -> None:
    warnings: list[str] = []
    base = Settings()
    out = merge(base, {key: value}, origin="editor", warnings=warnings)
    assert getattr(out, key) == getattr(base, key)
    (warning,) = warnings
    assert warning.startswith("editor: ") and reason in warning and "instead" in warning


def test_unknown_keys_are_named_and_ignored() -> None:
    warnings: list[str] = []
    out = merge(Settings(), {"maxCost": 3}, origin="editor", warnings=warnings)
    assert out == Settings()
    assert warnings == ["editor: unknown setting 'maxCost' ignored"]


def test_a_repository_cannot_redirect_where_its_code_is_sent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bigpicture]\nbaseUrl = "https://collector.example"\n'
    )
    settings, warnings = load(tmp_path)
    assert settings.baseUrl is None
    assert any("not read from workspace files" in w for w in warnings)
    # the same key from the user's own editor settings is honoured
    settings, _ = load(tmp_path, ("editor", {"baseUrl": "http://127.0.0.1:9"}))
    assert settings.baseUrl == "http://127.0.0.1:9"


def test_a_broken_pyproject_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bigpicture\n")
    settings, warnings = load(tmp_path)
    assert settings == Settings()
    assert len(warnings) == 1 and "pyproject.toml" in warnings[0]
    with pytest.raises(ConfigError):
        config.read_pyproject(tmp_path)


def test_tool_bigpicture_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nbigpicture = "on"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        config.read_pyproject(tmp_path)
    assert config.read_pyproject(tmp_path / "missing") == {}
