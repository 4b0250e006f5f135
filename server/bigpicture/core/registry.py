"""The model registry: context windows, beta needs, prices and limits, as data.

The built-in entries live in ``bigpicture/data/models.json``; the ``models`` setting overrides
fields of an entry or adds new models. An unknown model is accepted with a warning and the
most conservative limits (a 200k window, the Sonnet prices), so a plan still shows something.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import msgspec

from .errors import ConfigError

BETA_1M = "context-1m-2025-08-07"


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

    def needs_beta(self, input_tokens: int) -> bool:
        """Whether a request of this many input tokens must carry the 1M beta header."""
        return self.beta1m and input_tokens > self.standard_window


def _builtin() -> dict[str, dict[str, Any]]:
    raw = resources.files("bigpicture").joinpath("data/models.json").read_text("utf-8")
    return json.loads(raw)["models"]


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

    def ids(self) -> list[str]:
        return sorted({m.id for m in self._models.values()})

    def get(self, model_id: str) -> tuple[ModelInfo, str | None]:
        """``(info, warning)``: an unknown ID gets conservative stand-in facts and a warning."""
        info = self._models.get(model_id)
        if info is not None:
            if info.id != model_id:
                info = msgspec.structs.replace(info, id=model_id)
            warning = f"{model_id}: {info.deprecated}" if info.deprecated else None
            return info, warning
        stand_in = self._models["claude-sonnet-4-5"]
        return (
            msgspec.structs.replace(
                stand_in, id=model_id, known=False, aliases=(), deprecated=None
            ),
            f"unknown model {model_id!r}: its limits and prices are unknown; assuming a 200k "
            "window and Sonnet prices (add it under the `models` setting to fix)",
        )
