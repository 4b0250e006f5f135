"""A small asyncio JSON-RPC client for benchmarks: starts a language server as a subprocess,
talks LSP over its stdio, and timestamps every message it receives (``time.monotonic``, the
clock the fake API stamps its last byte with).

Server-to-client requests get the answers an editor would give (configuration: empty
sections; registrations, progress tokens: accepted).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    at: float  # time.monotonic() when the whole message had been read
    method: str
    params: Any


@dataclass
class Client:
    proc: asyncio.subprocess.Process
    notes: list[Received] = field(default_factory=list)
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, cmd: list[str], env: dict[str, str], cwd: str | None = None) -> Client:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            limit=1 << 24,
        )
        client = cls(proc)
        client.reader = asyncio.get_running_loop().create_task(client._read())
        return client

    def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def request(self, method: str, params: Any = None) -> Any:
        rid = next(self.ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return await fut

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _answer(self, msg: dict[str, Any]) -> None:
        method, params = msg["method"], msg.get("params") or {}
        result: Any = None
        if method == "workspace/configuration":
            result = [{} for _ in params.get("items", [])]
        elif method == "window/showDocument":
            result = {"success": True}
        self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = await out.readline()
                if not line:
                    for fut in self.pending.values():
                        if not fut.done():
                            fut.set_exception(ConnectionError("the server exited"))
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await out.readexactly(length)
            at = time.monotonic()
            msg = json.loads(body)
            if "method" in msg and "id" in msg:
                self._answer(msg)
            elif "method" in msg:
                self.notes.append(Received(at, msg["method"], msg.get("params")))
            else:
                fut = self.pending.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    if "error" in msg:
                        fut.set_exception(RuntimeError(str(msg["error"])))
                    else:
                        fut.set_result(msg.get("result"))

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown"), 30)
            self.notify("exit")
            await asyncio.wait_for(self.proc.wait(), 30)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            if self.reader is not None:
                self.reader.cancel()
