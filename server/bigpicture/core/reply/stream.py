"""Reading the report_findings input while it streams: each complete element of its top-level
``findings`` array, once, as soon as its last character arrives.

The tool input arrives as JSON text in small deltas (``input_json_delta``). Parsing the whole
text so far at every delta costs time proportional to the reply at every step; this scanner
reads each character once, keeping only the text of the element being written. It tracks
nesting, strings and their escapes (so brackets and quotes inside strings, ``\\"``, ``\\\\`` and
``\\u`` escapes are data), and the top-level object's keys (a key may itself use escapes).

It only finds the boundaries: each element comes out as its raw JSON text, which the caller
decodes (``json.loads`` then ``findings.decode_finding``). It never decides that a reply is
complete or well formed; ``core.reply.interpret`` reads the whole text for that. An input
that is not an object, or whose ``findings`` is not an array (e.g. sent as a string), yields
nothing here and is left to the whole-reply path.
"""

from __future__ import annotations

import json
import re

_OUTSIDE = re.compile(r"[\"{}\[\],:]")  # what can change the structure, outside strings
_INSIDE = re.compile(r"[\"\\]")  # what can end a string, or escape its next character
_KEY_MAX = 256  # longer strings at the top level are values, never the key looked for
_KEY = "findings"


class FindingsScanner:
    """Feed it the tool input's JSON text in pieces; each ``feed`` returns the raw text of the
    ``findings`` elements completed by that piece, in order, each exactly once."""

    def __init__(self) -> None:
        self._buf = ""  # the text not yet consumed (from the oldest start still needed)
        self._pos = 0  # where scanning resumes in ``_buf``
        self._depth = 0  # open objects and arrays
        self._in_string = False
        self._escape = False  # a backslash ended the last piece, inside a string
        self._string_start = -1  # where the current top-level string began
        self._last_string: str | None = None  # the last top-level string (a key candidate)
        self._value_of: str | None = None  # the key whose value comes next, at the top level
        self._in_findings = False  # inside the findings array (its elements are at depth 2)
        self._element = -1  # where the current non-scalar element began
        self._mark = 0  # after the last ``[``, ``,`` or element end inside the array
        self.done = False  # the findings array (or the whole input) has ended
        self.count = 0  # elements yielded so far

    def feed(self, piece: str) -> list[str]:
        """The elements that ``piece`` completes."""
        if self.done or not piece:
            return []
        buf = self._buf + piece
        pos = self._pos
        if self._escape:
            pos += 1  # the escaped character, whatever it is
            self._escape = False
        out: list[str] = []
        n = len(buf)
        while pos < n and not self.done:
            if self._in_string:
                m = _INSIDE.search(buf, pos)
                if m is None:
                    pos = n
                    break
                i = m.start()
                if buf[i] == "\\":
                    if i + 1 >= n:
                        self._escape = True
                        pos = n
                        break
                    pos = i + 2
                    continue
                self._in_string = False
                pos = i + 1
                self._string_closed(buf, i, out)
                continue
            m = _OUTSIDE.search(buf, pos)
            if m is None:
                pos = n
                break
            i = m.start()
            pos = i + 1
            self._structural(buf, i, out)
        self._trim(buf, pos)
        self.count += len(out)
        return out

    # -------------------------------------------------------------- one character each

    def _string_closed(self, buf: str, i: int, out: list[str]) -> None:
        if self._depth == 1:
            start = self._string_start
            self._last_string = buf[start : i + 1] if i + 1 - start <= _KEY_MAX else None
            self._string_start = -1
        elif self._depth == 2 and self._in_findings and self._element >= 0:
            out.append(buf[self._element : i + 1])  # an element that is a string
            self._element = -1
            self._mark = i + 1

    def _structural(self, buf: str, i: int, out: list[str]) -> None:
        ch = buf[i]
        depth = self._depth
        if depth == 0:
            if ch == "{":
                self._depth = 1
            else:
                self.done = True  # not an object: nothing to stream
            return
        if depth == 1:
            self._top_level(ch, i)
            return
        at_elements = depth == 2 and self._in_findings
        if at_elements and self._element < 0:
            if ch in ",]":
                scalar = buf[self._mark : i].strip()
                if scalar:
                    out.append(scalar)
                self._mark = i + 1
                if ch == "]":
                    self.done = True  # the findings array has ended
                    return
                return
            self._element = i  # a string, object or array element begins
        if ch == '"':
            self._in_string = True
        elif ch in "{[":
            self._depth += 1
        elif ch in "}]":
            self._depth -= 1
            if self._depth == 2 and self._in_findings and self._element >= 0:
                out.append(buf[self._element : i + 1])
                self._element = -1
                self._mark = i + 1

    def _top_level(self, ch: str, i: int) -> None:
        if ch == '"':
            self._in_string = True
            self._string_start = i
        elif ch == ":":
            raw, self._last_string = self._last_string, None
            try:
                key = json.loads(raw) if raw is not None else None
            except ValueError:
                key = None
            self._value_of = key if isinstance(key, str) else None
        elif ch == "[":
            self._depth = 2
            if self._value_of == _KEY:
                self._in_findings = True
                self._mark = i + 1
            self._value_of = None
        elif ch == "{":
            self._depth = 2
            self._value_of = None
        elif ch == ",":
            self._value_of = None
        elif ch == "}":
            self._depth = 0
            self.done = True
        # "]" at the top level is malformed: ignored, the whole-reply path reports it

    def _trim(self, buf: str, pos: int) -> None:
        """Keep only what is still needed: the element being written, the top-level string
        being read, the text after the last boundary in the array, or nothing."""
        keep = pos
        if self._element >= 0:
            keep = min(keep, self._element)
        if self._in_string and self._depth == 1 and self._string_start >= 0:
            keep = min(keep, self._string_start)
        if self._in_findings and self._depth == 2 and self._element < 0:
            keep = min(keep, self._mark)
        self._buf = buf[keep:]
        self._pos = pos - keep
        if self._element >= 0:
            self._element -= keep
        if self._string_start >= 0:
            self._string_start -= keep
        self._mark = max(0, self._mark - keep)
