"""core.registry: model facts by ID, alias and platform ID; overrides; unknown models."""

from __future__ import annotations

import pytest
from bigpicture.core.errors import ConfigError
from bigpicture.core.registry import Registry


def test_builtin_models_have_consistent_prices() -> None:
    reg = Registry()
    assert "claude-sonnet-4-6" in reg.ids()
    for model_id in reg.ids():
        info, _ = reg.get(model_id)
        assert info.known
        # the documented multipliers: 1.25x and 2x writes, 0.1x reads
        assert info.cache_write5m == pytest.approx(info.input * 1.25)
        assert info.cache_write1h == pytest.approx(info.input * 2)
        assert info.cache_read == pytest.approx(info.input * 0.1)
        assert info.context_window >= 200_000 and info.max_output > 0


def test_alias_and_platform_ids_name_the_same_model() -> None:
    reg = Registry()
    info, _ = reg.get("claude-haiku-4-5-20251001")
    assert info.id == "claude-haiku-4-5-20251001" and info.input == 1.0
    bedrock = "anthropic.claude-sonnet-4-6"
    assert reg.get(bedrock)[0].context_window == reg.get("claude-sonnet-4-6")[0].context_window
    assert reg.get("us." + bedrock)[0].known  # a cross-region inference profile


def test_platform_id_translation() -> None:
    reg = Registry()
    assert reg.platform_id("claude-sonnet-4-6", "anthropic") == "claude-sonnet-4-6"
    assert reg.platform_id("claude-sonnet-4-6", "bedrock") == "anthropic.claude-sonnet-4-6"
    assert reg.platform_id("claude-haiku-4-5", "vertex") == "claude-haiku-4-5@20251001"
    profile = "eu.anthropic.claude-sonnet-4-6"
    assert reg.platform_id(profile, "bedrock") == profile
    assert reg.platform_id("my-own-model", "bedrock") == "my-own-model"


def test_unknown_model_gets_conservative_facts_and_a_warning() -> None:
    info, warning = Registry().get("claude-future-9")
    assert not info.known and info.context_window == 200_000 and info.input == 3.0
    assert warning and "claude-future-9" in warning and "`models` setting" in warning


def test_deprecated_model_warns() -> None:
    _, warning = Registry().get("claude-sonnet-4-5")
    assert warning and "retires" in warning


def test_overrides_change_fields_and_add_models() -> None:
    reg = Registry(
        {
            "claude-sonnet-4-6": {"input": 4.0},
            "in-house": {
                "contextWindow": 50_000,
                "input": 1,
                "output": 2,
                "cacheWrite5m": 1.25,
                "cacheWrite1h": 2,
                "cacheRead": 0.1,
                "minCacheTokens": 1024,
                "maxOutput": 4096,
            },
        }
    )
    assert reg.get("claude-sonnet-4-6")[0].input == 4.0
    assert reg.get("claude-sonnet-4-6")[0].output == 15.0  # the rest of the entry stays
    assert reg.get("in-house")[0].context_window == 50_000


def test_bad_overrides_are_config_errors_naming_the_model() -> None:
    with pytest.raises(ConfigError, match=r"models\.x"):
        Registry({"x": "fast"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="'claude-sonnet-4-6'"):
        Registry({"claude-sonnet-4-6": {"input": "cheap"}})


def test_needs_beta_only_above_the_standard_window() -> None:
    import msgspec

    info = msgspec.structs.replace(Registry().get("claude-sonnet-4-6")[0], beta1m=True)
    assert not info.needs_beta(200_000)
    assert info.needs_beta(200_001)
    assert not Registry().get("claude-sonnet-4-6")[0].needs_beta(900_000)
