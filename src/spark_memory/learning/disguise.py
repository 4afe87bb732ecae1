"""Undoing the disguises an injected instruction wears, so the phrase rules see it.

:func:`readings` turns one text into the readings the injection rules are run on:

- the text as written;
- its *skeleton*: compatibility-normalised (fullwidth and mathematical letters become
  ASCII), accents and invisible format characters removed, look-alike Cyrillic and
  Greek letters mapped to the Latin ones they imitate;
- the skeleton read as leetspeak (``1gn0r3`` -> ``ignore``; ``1`` as ``i`` and as ``l``);
- text hidden in Unicode tag characters (U+E0020-E007E spell ASCII invisibly);
- payloads decoded from base64 and hex runs, and the whole text under ROT13 when the
  text mentions ROT13.

Each reading is only matched, never stored or shown.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

# Format characters that render as nothing (or reorder text) in a reviewer's view.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡոԛԝАВЕКМНОРСТУХІЈЅԌαβεικνορτυχϲΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdgnqwABEKMHOPCTYXIJSGabeikvoptuxcABEZHIKMNOPTYX",
)
_LEET_I = str.maketrans("0134578@$!|", "oieastbasil")
_LEET_L = str.maketrans("0134578@$!|", "oleastbasil")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}){12,}\b")
_MAX_PAYLOADS = 20


def readings(text: str) -> list[str]:
    """The text and every distinct undisguised reading of it."""
    found = [text]
    skeleton = skeleton_of(text)
    found += [skeleton, skeleton.translate(_LEET_I), skeleton.translate(_LEET_L)]
    found += ["".join(chr(ord(c) - 0xE0000) for c in run) for run in _TAGS.findall(text)]
    for payload in decoded_payloads(text):
        found += [payload, skeleton_of(payload)]
    return list(dict.fromkeys(r for r in found if r.strip()))


def skeleton_of(text: str) -> str:
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.translate(_CONFUSABLES)


def decoded_payloads(text: str) -> list[str]:
    """Readable text hidden in base64 or hex runs, or the whole text under ROT13."""
    out = []
    for run in _BASE64.findall(text)[:_MAX_PAYLOADS]:
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append(raw)
    for run in _HEX.findall(text)[:_MAX_PAYLOADS]:
        out.append(bytes.fromhex(run))
    texts = [t for t in (_readable(raw) for raw in out) if t]
    if re.search(r"rot-?13", text, re.IGNORECASE):
        texts.append(codecs.decode(text, "rot13"))
    return texts


def _readable(raw: bytes) -> str:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    printable = sum(c.isprintable() or c in "\n\t" for c in decoded)
    # words separated by spaces: prose or a command, not an image or a hash
    return decoded if printable >= 0.9 * len(decoded) and " " in decoded else ""
