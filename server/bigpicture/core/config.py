"""Typed settings, their defaults and documentation, and how their sources merge.

Sources, later ones winning key by key:

1. the defaults below;
2. ``[tool.bigpicture]`` in the workspace's ``pyproject.toml`` (workspace-level, committed);
3. the editor's ``initializationOptions`` (the ``bigpicture`` settings object);
4. the editor's ``workspace/configuration`` answer for section ``bigpicture``;
5. command-line flags.

Keys are camelCase (``maxCostPerReview``); snake_case and kebab-case spellings are accepted.
An invalid value falls back to the value it would have had without that source, with a message
the caller shows to the user. The API key is never a setting: it is read from the environment of
the process that sends the request. ``baseUrl`` is refused from ``pyproject.toml``: a repository
must not be able to redirect where its own code is sent.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from bigpicture.core import language as languages
from bigpicture.core.errors import ConfigError
from bigpicture.core.models import SEVERITIES

DEFAULT_MODEL = "claude-sonnet-4-6"


@dataclass(frozen=True)
class Settings:
    """Every setting BigPicture reads. Each field's docstring is the documentation."""

    model: str = DEFAULT_MODEL
    """The Claude model to review with (an ID from the model registry, or any other ID: unknown
    models are accepted with a warning that their limits and prices are unknown)."""

    reviewOnSave: Literal["off", "changes", "file"] = "off"
    """Language server: review after a save. ``changes`` reviews the git diff, ``file`` the saved
    file (both with the whole workspace as context)."""

    baseBranch: str | None = None
    """Changes review: compare against the merge-base with this ref instead of HEAD."""

    maxCostPerReview: float = 1.0
    """USD. A review whose estimated cost exceeds this is not sent."""

    thinkingBudget: int | None = None
    """Extended thinking budget in tokens (at least 1024) for deep architecture reviews; off when
    unset."""

    cacheTtl: Literal["5m", "1h"] = "5m"
    """Prompt-cache lifetime for the repository prefix. ``1h`` costs 2x input to write instead of
    1.25x and suits reviews more than 5 minutes apart."""

    include: tuple[str, ...] = ()
    """Gitignore-style patterns: when set, only matching files are sent."""

    exclude: tuple[str, ...] = ()
    """Gitignore-style patterns of files never to send (added to .gitignore and
    .bigpictureignore)."""

    minSeverity: Literal["critical", "high", "medium", "low", "info"] = "low"
    """Findings below this severity are not shown."""

    logLevel: Literal["error", "warning", "info", "debug"] = "info"
    """Language server log level (window/logMessage)."""

    maxFileSize: int = 1024 * 1024
    """Bytes. Larger files are never sent."""

    maxOutputTokens: int = 16000
    """The ``max_tokens`` of a review request (the findings JSON, plus thinking when enabled)."""

    keepWarm: bool = False
    """Language server: keep the repository prefix in the prompt cache while you edit, so the
    first review on save reads it (one small request per cache lifetime, at 0.1x input)."""

    debounceMs: int = 1500
    """Language server: quiet period after the last save before a review on save starts."""

    concurrency: int = 4
    """Full coverage (``review --coverage full``): how many shard requests may be in flight at
    once (at least 1). The first shard is sent alone until its response begins, so the others
    read the prefix it wrote; a 429 is retried after the ``retry-after`` the API gives."""

    baseUrl: str | None = None
    """API base URL (default: ``ANTHROPIC_BASE_URL`` or the SDK's). Not read from
    pyproject.toml."""

    provider: Literal["anthropic", "bedrock", "vertex", "foundry"] = "anthropic"
    """Where to send requests: the Claude API, or Claude on Amazon Bedrock, Google Vertex AI or
    Microsoft Foundry through the SDK's own clients, configured by their environment variables
    (see Cloud platforms)."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Model registry overrides and additions, keyed by model ID (see the model registry keys:
    contextWindow, maxOutput, input, output, cacheWrite5m, cacheWrite1h, cacheRead, ...)."""

    verify: Literal["auto", "off", "on"] = "auto"
    """A second request after a review, on its cached repository prefix, that re-examines each
    finding against the code and keeps only those it confirms (its input is read from the cache
    at 0.1x). ``auto``: on for ``--format sarif`` and ``--fail-on`` (CI), off otherwise (editor
    commands, review on save)."""

    minConfidence: float = 0.7
    """Findings rated below this confidence (0 to 1; the verification pass's rating when it ran)
    are not shown."""

    maxFindings: int = 25
    """The most findings one review reports, the most severe first."""

    language: str | None = None
    """BCP 47 tag (``zh-CN``, ``ja``, ``de``) of the language titles, messages and the summary are
    written in; code, quotes and identifiers stay verbatim. Unset: English."""


SETTING_NAMES = tuple(f.name for f in fields(Settings))
NOT_FROM_WORKSPACE = frozenset({"baseUrl"})  # never read from workspace files
# The team's policy keys of [tool.bigpicture] (``core.gather.policy`` reads them, from the base
# in a changes review): not settings, so neither an editor nor a flag can change them.
POLICY_KEYS = frozenset({"paths", "severityOverrides"})


def setting_docs() -> dict[str, str]:
    """Docstrings of the fields, read from this module's source (the README table is checked
    against them by a test)."""
    import inspect

    src = inspect.getsource(Settings)
    docs: dict[str, str] = {}
    for m in re.finditer(r"^    (\w+): [^\n]+\n    \"\"\"(.*?)\"\"\"", src, re.S | re.M):
        docs[m.group(1)] = " ".join(m.group(2).split())
    return docs


def _canonical(key: str) -> str:
    parts = re.split(r"[-_]", key)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _coerce(name: str, value: Any) -> Any:
    """Validate one value against the field's type; raise ValueError with a reason."""
    typ = Settings.__dataclass_fields__[name].type
    hint = _HINTS[name]
    origin = get_origin(hint)
    if name == "minSeverity" and value not in SEVERITIES:
        raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
    if origin is Literal:
        if value not in get_args(hint):
            raise ValueError(f"must be one of {', '.join(map(repr, get_args(hint)))}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if hint is int or hint == int | None:
        if value is None and hint is not int:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be an integer")
        if value < 0:
            raise ValueError("must not be negative")
        if name == "concurrency" and value < 1:
            raise ValueError("must be at least 1")
        if name == "thinkingBudget" and value < 1024:
            raise ValueError("must be at least 1024")
        if name == "maxFindings" and value < 1:
            raise ValueError("must be at least 1")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(value):  # TOML has nan and inf: a limit of nan limits nothing
            raise ValueError("must be a finite number")
        if value < 0:
            raise ValueError("must not be negative")
        if name == "minConfidence" and value > 1:
            raise ValueError("must be between 0 and 1")
        return float(value)
    if hint == str | None or hint is str:
        if value is None and hint is not str:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if name == "language":
            return languages.normalize(value)
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of strings")
        for v in value:
            if (v.startswith("/") and ".." in v) or v.startswith("../") or "/../" in v:
                raise ValueError(f"pattern {v!r} escapes the workspace")
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError("must be a table/object")
        return value
    raise ValueError(f"unsupported type {typ}")  # pragma: no cover


def _resolve_hints() -> dict[str, Any]:
    import typing

    return typing.get_type_hints(Settings)


_HINTS = _resolve_hints()


def merge(
    base: Settings, source: dict[str, Any] | None, *, origin: str, warnings: list[str]
) -> Settings:
    """Apply one source over ``base``. Unknown keys and invalid values become warnings."""
    if not source:
        return base
    changes: dict[str, Any] = {}
    for raw_key, value in source.items():
        key = _canonical(raw_key)
        if key in POLICY_KEYS:
            if not origin.startswith("pyproject"):
                warnings.append(
                    f"{origin}: {raw_key!r} is part of the team's review policy, read only from "
                    "pyproject.toml [tool.bigpicture]; ignored"
                )
            continue
        if key not in SETTING_NAMES:
            warnings.append(f"{origin}: unknown setting {raw_key!r} ignored")
            continue
        if origin.startswith("pyproject") and key in NOT_FROM_WORKSPACE:
            warnings.append(f"{origin}: {raw_key!r} is not read from workspace files; ignored")
            continue
        try:
            changes[key] = _coerce(key, value)
        except ValueError as e:
            warnings.append(
                f"{origin}: {raw_key} = {value!r} {e}; using {getattr(base, key)!r} instead"
            )
    if not changes:
        return base
    from dataclasses import replace

    return replace(base, **changes)


def read_pyproject(root: Path) -> dict[str, Any]:
    """``[tool.bigpicture]`` of ``root/pyproject.toml`` (empty when absent)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read [tool.bigpicture]: {e}") from e
    section = data.get("tool", {}).get("bigpicture", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.bigpicture] must be a table")
    return section


def load(root: Path, *layers: tuple[str, dict[str, Any] | None]) -> tuple[Settings, list[str]]:
    """Defaults, then pyproject.toml, then each ``(origin, values)`` layer in order."""
    warnings: list[str] = []
    settings = Settings()
    try:
        settings = merge(
            settings,
            read_pyproject(root),
            origin="pyproject.toml [tool.bigpicture]",
            warnings=warnings,
        )
    except ConfigError as e:
        warnings.append(str(e))
    for origin, values in layers:
        settings = merge(settings, values, origin=origin, warnings=warnings)
    return settings, warnings
