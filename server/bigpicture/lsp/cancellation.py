"""Cancelling a review that is already running when the client sends ``$/cancelRequest``.

pygls cancels a request only while its handler has not started; ``workspace/executeCommand``
runs its handler as a second step, so the cancel never reaches a running review (pygls has no
public hook for this: https://github.com/openlawlibrary/pygls/issues/517 discusses its
cancellation handling). This adapter, the only override of a pygls internal, also cancels the
task of a command the client gave up on (``State.request_tasks``).
"""

from __future__ import annotations

from typing import Any

from pygls.protocol import LanguageServerProtocol


class CancellingProtocol(LanguageServerProtocol):
    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        state = getattr(self._server, "state", None)
        task = state.request_tasks.get(msg_id) if state is not None else None
        if task is not None and not task.done():
            task.cancel()
