"""Finding listed names in free text: whole words, ignoring case, accents and punctuation.

Medicines and allergies are typed by people ("Xylocaine®  (anaphylaxis)", "Xarelto20mg",
"lidocaína"), so both sides are reduced to plain ASCII words before comparing. A name
matches only as whole words, never inside a longer word ("heparin" is not found in
"heparinoid"). Misspellings are listed names in the data files, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# "20mg" and "xarelto20" are two words each.
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")


def key(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "Juvéderm-3" -> "juvederm 3"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(w for w in _NOT_ALNUM.split(_LETTER_DIGIT.sub(" ", folded)) if w)


def found(term: str, text: str) -> bool:
    """True when ``term`` (a :func:`key`) occurs as whole words in ``text`` (a :func:`key`)."""
    return bool(term) and f" {term} " in f" {text} "
