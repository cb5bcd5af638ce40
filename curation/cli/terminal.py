"""Text for a terminal: names and messages printed so that they can never act as control sequences.

File names, editor names and messages come from documents, the audit log and
other people. Printed raw, an ESC starts a sequence that can set the window
title or erase a line, a newline can forge a whole line, and a bidi override
can reorder what is shown. `printable` turns every such character into a
visible escape (`\\x1b`, `\\n`, `\\u2028`) and leaves all other text as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls (U+0085 NEL, U+009B CSI ...), the Unicode line and paragraph
# separators, and the bidi controls that can make a line read differently from its bytes.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What JSON may carry raw inside a string but a terminal would still act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object) -> str:
    """The text with every control character shown as an escape, e.g. ESC as `\\x1b`, a newline as `\\n`."""
    return _CONTROL.sub(_escape, str(text))


def printable_lines(text: str) -> str:
    """Like printable, but newlines stay line breaks (for messages made of several lines of our own)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def json_text(value: Any) -> str:
    """JSON for a terminal: json.dumps escapes C0 controls; DEL, C1 and the separators become \\u escapes too."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    # Valid JSON still: these characters can only occur inside strings, where \\uXXXX means the same.
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
