"""``python -m fake_api --port 0 [--script FILE.json]``: the fake as a process.

Prints ``FAKE_API_URL=http://127.0.0.1:PORT`` as its first stdout line, then serves until
killed (SIGTERM or SIGINT). The script file holds the JSON form of replies (replies.py): a list,
or an object with ``replies``, ``default``, ``batch_script``, ``batch_polls_until_done``.
Tests script and inspect it over HTTP: ``POST /_fake/script``, ``GET /_fake/requests`` (see
server.py).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .server import FakeAnthropic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fake_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON file with replies (a list, or an object)")
    args = parser.parse_args(argv)

    fake = FakeAnthropic(args.host, args.port)
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            fake.load_script(json.load(handle))

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever, so it must run on another thread.
        threading.Thread(target=fake._server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"FAKE_API_URL={fake.url}", flush=True)
    try:
        fake.serve_forever()
    finally:
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
