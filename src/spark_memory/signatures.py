"""Normalised error signatures: the same failure gets the same string everywhere.

An error signature is the exception type plus its message with everything that
changes from run to run taken out (numbers, quoted data values, shapes, paths,
line numbers, memory addresses). The coach uses it to look up experience with an
error; the learning loop uses it to cluster traces. Both must agree, which is why
it lives here, below every feature.

    >>> normalise_error('KeyError: "col_a"')
    'KeyError: <value>'
    >>> normalise_error("ValueError: operands could not be broadcast together with shapes (3,4) (5,)")
    'ValueError: operands could not be broadcast together with shapes <shape> <shape>'
    >>> normalise_error("AttributeError: 'DataFrame' object has no attribute 'append'")
    "AttributeError: 'DataFrame' object has no attribute 'append'"
"""

from __future__ import annotations

import re

__all__ = ["error_type", "normalise_error"]

# Long enough for any real message; a signature is a key, not a report.
MAX_SIGNATURE_CHARS = 240

# "pkg.mod.SomeError: message" (or a bare type name) at the start of a line.
_EXC_LINE = re.compile(
    r"^(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault)"
    r"|StopIteration|KeyboardInterrupt)(?::\s*(?P<msg>.*))?$"
)
_FILE_LINE = re.compile(r'File "[^"]*", line \d+(?:, in \S+)?')
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-+@~]+){2,}[\\/]?")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_DIMS = re.compile(r"\b\d+(?:x\d+)+\b")  # 64x128, as torch prints matrix shapes
_SHAPE = re.compile(r"[(\[]\s*(?:<num>|None)(?:\s*,\s*(?:<num>|None))*\s*,?\s*[)\]]")
_LINE_WORD = re.compile(r"\bline <num>\b")
# A quoted name (type, attribute, function, keyword) explains the error and stays;
# anything else quoted is data and is replaced.
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*(?:\(\))?")
_SPACE = re.compile(r"\s+")


def normalise_error(text: str) -> str:
    """``"Type: message"`` with values, paths and line numbers stripped; "" for no error.

    ``text`` may be a bare message, one ``Type: message`` line or a whole traceback
    (the final exception line is the one that counts).
    """
    exc_type, message = _split(text)
    if not exc_type and not message:
        return ""
    message = _normalise_message(message)
    signature = ": ".join(part for part in (exc_type, message) if part)
    return signature[:MAX_SIGNATURE_CHARS]


def error_type(text: str) -> str:
    """The exception's class name without its module (``MergeError``); "" if none is named."""
    return _split(text)[0]


def _split(text: str) -> tuple[str, str]:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        found = _EXC_LINE.match(line)
        if found:
            return found["type"].rsplit(".", 1)[-1], found["msg"] or ""
    return "", lines[-1] if lines else ""


def _normalise_message(message: str) -> str:
    message = _FILE_LINE.sub("<location>", message)
    message = _ADDRESS.sub("<addr>", message)
    message = _PATH.sub("<path>", message)
    if _is_single_value(message):
        return "<value>"
    message = _QUOTED.sub(_quoted, message)
    message = _DIMS.sub("<shape>", message)
    message = _NUMBER.sub("<num>", message)
    message = _SHAPE.sub("<shape>", message)
    message = _LINE_WORD.sub("line", message)
    return _SPACE.sub(" ", message).strip()


def _is_single_value(message: str) -> bool:
    # KeyError, IndexError and friends print nothing but the offending value.
    message = message.strip()
    return bool(_QUOTED.fullmatch(message) or _NUMBER.fullmatch(message))


def _quoted(found: re.Match[str]) -> str:
    inner = found[1] if found[1] is not None else found[2]
    if _IDENTIFIER.fullmatch(inner):
        return found[0]
    return "<str>"
