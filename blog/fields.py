"""Field types shared by the domains: ids and text, each with the contract's limits.

A limit is declared once, in a model column's annotation (Litestar's ``KwargDefinition``);
the DTOs (``blog.dto``) enforce it on every write and document it in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import KwargDefinition

MAX_ID = 2**63 - 1
"""Ids are PostgreSQL ``bigint``; anything outside 1..MAX_ID cannot name a row."""


class SchemaExtra(dict[str, Any]):
    """A ``schema_extra`` that hashes: SQLAlchemy and ``typing`` hash the annotations holding it."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


ID_SCHEMA_BOUNDS = SchemaExtra(minimum=1, maximum=MAX_ID)
ID_BOUNDS: dict[str, Any] = {"ge": 1, "le": MAX_ID, "schema_extra": ID_SCHEMA_BOUNDS}
"""Keyword arguments bounding an id in a ``KwargDefinition`` (or a path or query parameter).

``schema_extra`` restates the bounds because Litestar writes ``ge``/``le`` into the OpenAPI
document as floats, where MAX_ID rounds up to 2**63: an id the API would refuse.
"""

NO_CONTROL = r"[^\x00-\x1f\x7f]"
"""One character that is not a control character (NUL, line breaks, ESC...)."""
NO_CONTROL_BUT_BREAKS = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""One character that is not a control character, though it may be a tab or a line break."""
END = r"(?![\s\S])"
"""The true end of a string in a pattern: Python's `$` (msgspec validates with `re`) also
matches before a final newline, which would let "Ada\n" through."""


PATTERN_RULES: dict[str, str] = {}
"""Each pattern a value is checked against, with the rule it enforces in words.

A regex is no explanation to a client: an error names the broken rule instead
(``blog.validation.explained``). Every pattern in the OpenAPI document has one (a test walks it).
"""


def ruled(pattern: str, rule: str) -> str:
    """``pattern``, registered with ``rule``: what a value must be, worded to follow the
    field's name ("email must be an e-mail address...")."""
    if PATTERN_RULES.setdefault(pattern, rule) != rule:
        msg = f"the pattern {pattern!r} already has another rule: {PATTERN_RULES[pattern]!r}"
        raise ValueError(msg)
    return pattern


def broken_rule(message: str) -> str | None:
    """The rule of the pattern a value failed, by msgspec's ``message`` about it, if registered."""
    if "matching regex" in message:
        # msgspec quotes the pattern as Python's repr() does.
        for pattern, rule in PATTERN_RULES.items():
            if f"matching regex {pattern!r}" in message:
                return rule
    return None


_WITHOUT = {
    NO_CONTROL: "line breaks or other control characters",
    NO_CONTROL_BUT_BREAKS: "control characters other than tabs and line breaks",
}

ONE_LINE = ruled(rf"^{NO_CONTROL}*{END}", f"must not contain {_WITHOUT[NO_CONTROL]}")
"""Any text on one line."""
LINES = ruled(rf"^{NO_CONTROL_BUT_BREAKS}*{END}", f"must not contain {_WITHOUT[NO_CONTROL_BUT_BREAKS]}")
"""Any text, on several lines if need be."""
QUERY_TEXT = ruled(r"^[^\x00-\x1f\x7f]*$", "must not contain control characters")
"""A text query parameter's pattern, where the reason is PostgreSQL, which refuses a NUL."""


def text(max_length: int, allowed: str, description: str) -> KwargDefinition:
    """A text field: 1..max_length characters from ``allowed``, at least one not a space.

    The pattern repeats the length limit in its lookahead because a partial (PATCH) DTO
    drops ``min_length``/``max_length`` but keeps ``pattern``.
    """
    not_space = allowed.replace("[^", r"[^\s", 1)
    pattern = rf"^(?=[\s\S]{{1,{max_length}}}{END}){allowed}*{not_space}{allowed}*{END}"
    rule = f"must be 1 to {max_length:,} characters, not only spaces, without {_WITHOUT[allowed]}"
    return KwargDefinition(
        min_length=1,
        max_length=max_length,
        pattern=ruled(pattern, rule),
        description=description,
    )


Name = Annotated[str, text(100, NO_CONTROL, "1 to 100 characters, not blank.")]
