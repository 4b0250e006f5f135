"""The models the fake API knows, with the limits it enforces (anthropic-api.md §1, §2, §9, §12).

Only facts the reference confirms are enforced. Where it marks a figure UNCONFIRMED, the fake uses
the more lenient value (Sonnet 4.6 max output 128k rather than 64k). Tests add models with
``FakeAnthropic.add_model(ModelSpec(...))``, e.g. a model whose 1M window needs a beta header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WINDOW_200K = 200_000
WINDOW_1M = 1_000_000
BETA_1M = "context-1m-2025-08-07"
BETA_OUTPUT_300K = "output-300k-2026-03-24"
BETA_INTERLEAVED = "interleaved-thinking-2025-05-14"
BETA_WINDOW_EXCEEDED = "model-context-window-exceeded-2025-08-26"


@dataclass(frozen=True)
class ModelSpec:
    """What the fake checks for one model.

    ``id`` is the canonical first-party ID; ``aliases`` are other IDs naming the same model
    (first-party aliases and Vertex ``@`` IDs). The prompt cache is shared across aliases.
    """

    id: str
    max_output: int
    context_window: int = WINDOW_200K
    # When set, the window is 1M only when this anthropic-beta value is sent (the 2025 Sonnet 4 /
    # 4.5 beta). Unset for today's built-in models: the Sonnet 4.5 beta was retired 2026-04-30.
    context_1m_beta: str | None = None
    cache_min_tokens: int = 1024
    prefill: bool = True
    adaptive_thinking: bool = True
    # Models before 4.5: input + max_tokens > window is a 400 (§1.2). 4.5 and newer accept it.
    max_tokens_counts_toward_window: bool = False
    # Batch max_tokens cap with the output-300k beta (§5), or None when the beta does not apply.
    batch_max_output_300k: bool = False
    aliases: tuple[str, ...] = field(default=())
    # The model's tokenizer counts this many times the base count of tokens.py (rounded up per
    # block): a model with a newer tokenizer, or a test's way to have the API count more than
    # the client's local estimate. Applies to count_tokens, the window check and usage.
    token_factor: float = 1.0
    # When set, runs of 8 or more hex digits (nonces, hashes) cost one token per this many
    # characters instead of the base four: real tokenizers split random hex finely (about 2
    # characters per token), which is why a file's framing with its nonce costs ~26 tokens.
    hex_chars_per_token: float | None = None

    def window(self, betas: frozenset[str]) -> int:
        if self.context_1m_beta and self.context_1m_beta in betas:
            return WINDOW_1M
        return self.context_window

    def output_cap(self, betas: frozenset[str], *, batch: bool) -> int:
        if batch and self.batch_max_output_300k and BETA_OUTPUT_300K in betas:
            return 300_000
        return self.max_output


BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="claude-opus-4-6",
        max_output=128_000,
        context_window=WINDOW_1M,
        cache_min_tokens=4096,
        prefill=False,
        batch_max_output_300k=True,
    ),
    ModelSpec(
        id="claude-sonnet-4-6",
        # 64k at launch, "later pages say 128k" (UNCONFIRMED): the lenient figure.
        max_output=128_000,
        context_window=WINDOW_1M,
        # DOC-cache's figure; a later lowering to 1024 is UNCONFIRMED.
        cache_min_tokens=2048,
        batch_max_output_300k=True,
    ),
    ModelSpec(
        id="claude-sonnet-4-5-20250929",
        max_output=64_000,
        cache_min_tokens=1024,
        aliases=("claude-sonnet-4-5", "claude-sonnet-4-5@20250929"),
    ),
    ModelSpec(
        id="claude-haiku-4-5-20251001",
        max_output=64_000,
        cache_min_tokens=4096,
        adaptive_thinking=False,
        aliases=("claude-haiku-4-5", "claude-haiku-4-5@20251001"),
    ),
    ModelSpec(
        id="claude-opus-4-5-20251101",
        max_output=64_000,
        cache_min_tokens=4096,
        aliases=("claude-opus-4-5", "claude-opus-4-5@20251101"),
    ),
)


class ModelTable:
    """Model lookup by any of its IDs. Not thread-safe for writes; add models before use."""

    def __init__(self, specs: tuple[ModelSpec, ...] = BUILTIN_MODELS) -> None:
        self._by_id: dict[str, ModelSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: ModelSpec) -> None:
        for name in (spec.id, *spec.aliases):
            self._by_id[name] = spec

    def get(self, model_id: str) -> ModelSpec | None:
        return self._by_id.get(model_id)
