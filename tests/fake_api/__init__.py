"""A local fake of the Anthropic API for BigPicture's tests (contract: anthropic-api.md).

A real HTTP server on 127.0.0.1 that the real ``anthropic`` SDK talks to through ``base_url``,
in-process (``FakeAnthropic`` runs in a background thread) or as a process
(``python -m fake_api --port 0 [--script FILE.json]``)::

    from fake_api import FakeAnthropic, ToolReply, ErrorReply

    with FakeAnthropic() as fake:
        fake.script(ErrorReply(529, "overloaded_error", "Overloaded"), ToolReply({"findings": []}))
        client = anthropic.Anthropic(base_url=fake.url, api_key="sk-ant-test")
        ...
        assert [r.retry_count for r in fake.messages_requests()] == [0, 1]

What it checks on every request (§13): path, auth, ``anthropic-version``, beta names, the body
fields, the model (built-in 4.x IDs, see models.py), ``max_tokens`` cap, thinking rules, cache
markers, the 32 MB size limit and the context window — see validation.py and prefix.py.

Token counting (tokens.py): ``ceil(utf-8 bytes / 4)`` per text piece plus 3 tokens per block
(tools, system blocks, message content blocks); used for usage, ``count_tokens`` and the window.

Prompt caching (cache.py): exact-prefix entries at breakpoints, the 20-block lookback, per-model
minimums, 5m/1h TTLs on ``fake.clock`` (advance it with ``fake.advance(seconds)``).

Replies (replies.py): ``ToolReply``, ``TextReply``, ``ErrorReply``, ``StreamError``,
``DropConnection``, ``HeldReply``; batches (batches.py) with ``fake.batch_script`` and
``fake.batch_polls_until_done``.

Replies computed from the request (reviewer.py): ``Verifier`` answers a verification pass,
confirming or rejecting the findings it was sent; ``Localized`` answers in the language the
request states; ``seen(body)`` tells what a request contained.
"""

from .cache import CacheUsage
from .models import BUILTIN_MODELS, ModelSpec
from .replies import (
    DropConnection,
    ErrorReply,
    HeldReply,
    StreamError,
    TextReply,
    ToolReply,
    reply_from_json,
)
from .reviewer import Localized, Seen, Verifier, seen
from .server import FakeAnthropic, RecordedRequest
from .tokens import text_tokens

__all__ = [
    "BUILTIN_MODELS",
    "CacheUsage",
    "DropConnection",
    "ErrorReply",
    "FakeAnthropic",
    "HeldReply",
    "Localized",
    "ModelSpec",
    "RecordedRequest",
    "Seen",
    "StreamError",
    "TextReply",
    "ToolReply",
    "Verifier",
    "reply_from_json",
    "seen",
    "text_tokens",
]
