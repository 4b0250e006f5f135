"""Explain one finding: a follow-up question on the cached repository prefix of the review the
finding came from (``prompt.explain_body``), its answer sanitized for display, its cost in the
ledger. An answer that was cut off or broken is said to be, never shown as a whole one."""

from __future__ import annotations

from dataclasses import dataclass

from bigpicture.app import accounting
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.models import Cost, Finding, Usage
from bigpicture.core.reply.findings import sanitize_block
from bigpicture.core.reply.interpret import Reply, cut_short
from bigpicture.core.request.prompt import explain_body


@dataclass
class Explanation:
    answer: str
    cost: Cost
    usage: Usage
    complete: bool
    reason: str | None = None


def _answer(reply: Reply) -> tuple[str, bool, str | None]:
    """The explanation text, whether it is whole, and why not."""
    answer = ""
    if isinstance(reply.tool_input, dict):
        answer = str(reply.tool_input.get("summary") or "")
    # model text shown to the user: no escapes, bidi or control characters, bounded length
    answer = sanitize_block(answer or reply.text)
    if reply.error is not None:
        return answer, False, reply.error.message
    if reply.stop_reason in ("max_tokens", "model_context_window_exceeded"):
        return answer, False, "the explanation was cut off at the output limit"
    if reply.stop_reason == "refusal":
        return answer, False, "the model declined to explain this finding"
    if reply.tool_input is not None or reply.tool_json is not None:
        why = cut_short(reply.tool_input, reply.tool_json)
        if why is not None:
            return answer, False, f"the explanation was cut off ({why})"
    if not answer:
        return "", False, "the model gave no answer"
    return answer, True, None


async def explain(
    prepared: Prepared, finding: Finding, settings: Settings, client: ApiClient
) -> Explanation:
    """Ask about ``finding`` on ``prepared``'s cached prefix; the answer and its cost."""
    plan = prepared.plan
    reply = await client.stream(explain_body(plan.body, finding), betas=plan.betas)
    answer, complete, reason = _answer(reply)
    charge = accounting.Charge(
        plan.model, "explain", reply.request_id, prepared.snapshot.root, complete=complete
    )
    cost = accounting.account(charge, reply.usage, settings)
    return Explanation(answer, cost, reply.usage, complete, reason)
