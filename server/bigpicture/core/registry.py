"""The model registry: context windows, beta needs, prices and limits, as data.

The built-in entries live in ``bigpicture/data/models.json``; the ``models`` setting overrides
fields of an entry or adds new models. An unknown model is accepted with a warning and the
most conservative limits (a 200k window, the Sonnet prices), so a plan still shows something.

Each entry may name the model's ID on each cloud platform (``platformIds``: ``bedrock``,
``vertex``, ``foundry``). Plans and prices stay keyed by our ID; the client
layer translates the request's ``model`` when it sends to a platform (``platform_id``). A platform
ID is also accepted wherever a model ID is, and names the same model; on Bedrock a cross-region
inference profile (``us.``/``eu.``/``global.``... before ``anthropic.``) does too.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import msgspec

from bigpicture.core.errors import ConfigError

BETA_1M = "context-1m-2025-08-07"
# A Bedrock cross-region inference profile: a geography, a dot, then the model's Bedrock ID.
_BEDROCK_PROFILE = re.compile(r"[a-z][a-z-]*\.(?P<base>anthropic\..+)")


class LongContext(msgspec.Struct, frozen=True, rename="camel"):
    """Above ``threshold`` total input tokens, every token of the request is billed at the
    long-context rates (as Anthropic priced the 1M beta: 2x input, 1.5x output)."""

    threshold: int = 200_000
    input_multiplier: float = 2.0
    output_multiplier: float = 1.5


class ModelInfo(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    context_window: int
    input: float  # USD per million tokens
    output: float
    cache_write5m: float = msgspec.field(name="cacheWrite5m")
    cache_write1h: float = msgspec.field(name="cacheWrite1h")
    cache_read: float
    min_cache_tokens: int
    max_output: int
    standard_window: int = 200_000
    beta1m: bool = msgspec.field(
        default=False, name="beta1m"
    )  # the window beyond standard_window needs the 1M beta header
    long_context: LongContext | None = None
    aliases: tuple[str, ...] = ()
    thinking: str = "manual"  # "manual" | "adaptive" (manual deprecated there, still accepted)
    deprecated: str | None = None
    known: bool = True
    platform_ids: dict[str, str] = msgspec.field(default_factory=dict)
    """The model's ID per cloud platform (``bedrock``, ``vertex``, ``foundry``)."""

    def needs_beta(self, input_tokens: int) -> bool:
        """Whether a request of this many input tokens must carry the 1M beta header."""
        return self.beta1m and input_tokens > self.standard_window


def _builtin() -> dict[str, dict[str, Any]]:
    raw = resources.files("bigpicture").joinpath("data/models.json").read_text("utf-8")
    models: dict[str, dict[str, Any]] = json.loads(raw)["models"]
    return models


def _build(model_id: str, fields: dict[str, Any]) -> ModelInfo:
    data = {k: v for k, v in fields.items() if not k.startswith("_")}
    data["id"] = model_id
    try:
        return msgspec.convert(data, ModelInfo)
    except msgspec.ValidationError as e:
        raise ConfigError(f"model registry entry {model_id!r}: {e}") from e


class Registry:
    """Model facts keyed by ID and alias."""

    def __init__(self, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        table = _builtin()
        for model_id, fields in (overrides or {}).items():
            if not isinstance(fields, dict):
                raise ConfigError(f"models.{model_id} must be a table of registry keys")
            table[model_id] = {**table.get(model_id, {}), **fields}
        self._models: dict[str, ModelInfo] = {}
        for model_id, fields in table.items():
            info = _build(model_id, fields)
            self._models[model_id] = info
            for alias in info.aliases:
                self._models[alias] = info
        # Platform IDs name the same models; our own IDs and aliases win a clash.
        for info in list(self._models.values()):
            for platform_id in info.platform_ids.values():
                self._models.setdefault(platform_id, info)

    def _lookup(self, model_id: str) -> ModelInfo | None:
        info = self._models.get(model_id)
        if info is None and (m := _BEDROCK_PROFILE.fullmatch(model_id)):
            base = self._models.get(m["base"])
            if base is not None and base.platform_ids.get("bedrock") == m["base"]:
                info = base
        return info

    def platform_id(self, model_id: str, provider: str) -> str:
        """The ID to send for ``model_id`` on ``provider``: the entry's platform ID, or
        ``model_id`` itself when it already is one (or a Bedrock inference profile), when the
        entry has none for that platform, or when the model is unknown."""
        if provider == "anthropic":
            return model_id
        info = self._lookup(model_id)
        if info is None:
            return model_id
        target = info.platform_ids.get(provider)
        if target is None or model_id == target:
            return model_id
        if provider == "bedrock" and model_id.endswith("." + target):
            return model_id  # a cross-region inference profile of the same model
        return target

    def ids(self) -> list[str]:
        return sorted({m.id for m in self._models.values()})

    def get(self, model_id: str) -> tuple[ModelInfo, str | None]:
        """``(info, warning)``: an unknown ID gets conservative stand-in facts and a warning."""
        info = self._lookup(model_id)
        if info is not None:
            if info.id != model_id:
                info = msgspec.structs.replace(info, id=model_id)
            warning = f"{model_id}: {info.deprecated}" if info.deprecated else None
            return info, warning
        stand_in = self._models["claude-sonnet-4-5"]
        return (
            msgspec.structs.replace(
                stand_in, id=model_id, known=False, aliases=(), deprecated=None, platform_ids={}
            ),
            f"unknown model {model_id!r}: its limits and prices are unknown; assuming a 200k "
            "window and Sonnet prices (add it under the `models` setting to fix)",
        )
