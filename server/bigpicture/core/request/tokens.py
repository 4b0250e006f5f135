"""A local token estimate, good enough to plan and budget without a network call.

Claude's tokenizer is not published. The estimate divides characters by a ratio per content
kind and counts each non-ASCII character as about one token of its own:

=========  ======================  ==========================================================
kind       characters per token    why
=========  ======================  ==========================================================
source     3.2                     identifiers, operators and indentation split finely
config     3.0                     JSON/YAML punctuation and quoted keys
doc        3.8                     English prose
test       3.2                     as source
vendor     3.2                     as source
=========  ======================  ==========================================================

These ratios sit on the high-token side of published measurements of Claude tokenizers
(3.5 to 4 characters per token for English, fewer for code), so the budget errs towards
leaving room. ``bigpicture review --count`` asks the API's free count_tokens endpoint for the
exact figure of the planned request instead.
"""

from __future__ import annotations

import json
import math
import re

CHARS_PER_TOKEN = {"source": 3.2, "config": 3.0, "doc": 3.8, "test": 3.2, "vendor": 3.2}
DEFAULT_CPT = 3.2
# A file's framing: its header and footer lines (``prompt.render_file``), e.g.
# ``<bp-0123456789abcdef-file path="a.py" lines="12">`` and ``</bp-0123456789abcdef-file>``.
# The 16-hex-digit nonce appears twice and hex splits into many short tokens: measured at
# about 26 tokens for a short path, so framing is counted at a conservative 2.5 characters
# per token (31 for that path), keeping the estimate above the API's count even for
# workspaces of many tiny files.
FRAMING_CPT = 2.5
NONCE_LEN = 16
_FRAME = len('<bp--file path= lines="">\n') + len("</bp--file>\n") + 2 * NONCE_LEN + 2


def estimate(text: str, kind: str = "source", nbytes: int | None = None) -> int:
    """Estimated tokens of ``text``. ``nbytes`` (its UTF-8 size) saves re-encoding it."""
    if not text:
        return 0
    if nbytes is None:
        nbytes = len(text.encode("utf-8", "surrogatepass"))
    extra = nbytes - len(text)  # 1-3 extra bytes per non-ASCII character
    non_ascii = extra // 2 if extra > 0 else 0
    ascii_chars = len(text) - non_ascii
    return math.ceil(ascii_chars / CHARS_PER_TOKEN.get(kind, DEFAULT_CPT)) + non_ascii


def from_size(nbytes: int, kind: str = "source") -> int:
    """The estimate, from its size alone, of a file not read yet (a lazy gather's): what
    ``estimate`` gives for ASCII text of that size, so exactly the estimate of most source
    files once read (non-ASCII text comes out a little higher, by at most 9% for UTF-8; the
    budget decides again with the real figure once the file is read)."""
    return math.ceil(nbytes / CHARS_PER_TOKEN.get(kind, DEFAULT_CPT))


_PLAIN = re.compile(r"[ !#-\[\]-~]*").fullmatch  # printable ASCII but " and \: JSON as is


def framing(path: str, chars: int) -> int:
    """Upper bound of the tokens of a file's header and footer in the request: its path
    (JSON-quoted), its line count (at most ``chars`` + 1 lines), the nonce twice."""
    quoted = len(path) + 2 if _PLAIN(path) else len(json.dumps(path))
    length = _FRAME + quoted + len(str(chars + 1))
    return math.ceil(length / FRAMING_CPT)
