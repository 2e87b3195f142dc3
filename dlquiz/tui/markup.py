"""Text put into Textual markup (a card's front and back, a hint, a label), shown as written."""

from __future__ import annotations

# Zero cells wide: after a trailing backslash, it keeps that backslash from escaping the
# tag that follows the text (Textual reads "\[" as a bracket, whatever comes before it).
_KEEP_BACKSLASH = "\u200b"


def escape(text: str) -> str:
    """``text`` as Textual markup that shows it as written.

    Every "[" is escaped. Rich's and Textual's own ``escape`` escape only what Rich reads
    as a tag, and Textual reads more: "[MASK]" and "[CLS]" (upper case), "[$x]" (a
    variable) and "[ x]" went missing from a card ("80 % become [MASK]" showed as
    "80 % become ,").
    """
    escaped = text.replace("[", "\\[")
    if escaped.endswith("\\"):
        escaped += _KEEP_BACKSLASH
    return escaped
