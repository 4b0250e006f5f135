"""Ctrl-C during a review, as a user presses it: the process gets SIGINT after the API
accepted the request, and the usage ledger still records that request (interrupted, with the
cost of what was streamed or estimated), so spending is never under-reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bigpicture.store import ledger
from fake_api import FakeAnthropic, HeldReply, ToolReply
from planted import planted_findings


def test_ctrl_c_after_the_api_accepted_the_request_is_in_the_ledger(
    defects, tmp_path: Path, monkeypatch
):
    data = tmp_path / "data"
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(data))
    with FakeAnthropic() as fake:
        held = HeldReply(ToolReply(planted_findings()))
        fake.script(held)
        env = {
            **os.environ,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": fake.url,
            "BIGPICTURE_DATA_DIR": str(data),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bigpicture", "review", str(defects), "--no-cache"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stderr is not None
            seen = []
            for line in proc.stderr:  # waits on the process's own words, not on a clock
                seen.append(line)
                if "the API accepted the request" in line:
                    break
            else:
                raise AssertionError("no 'accepted' line: " + "".join(seen))
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            held.release.set()
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "No findings" not in out
    (entry,) = ledger.read()  # the same data directory the process wrote to
    assert entry.interrupted and not entry.complete
    assert entry.request_id is not None
    assert entry.cost_usd > 0  # the input it was billed for, at least
