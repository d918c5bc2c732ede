"""RealWorld request bodies, checked field by field and answered in RealWorld's words.

RealWorld clients show ``{"errors": {"title": ["can't be blank"]}}`` to their users, so the
checks speak that language: "can't be blank", "is too long (maximum is 200 characters)",
and, where a value breaks a rule, the rule itself ("must be an e-mail address like
name@example.com"). The limits are the native API's (the request structs carry the models'
annotations); only the words differ, and RealWorld's rule that a text it requires is never
blank (its `description` included).
"""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

import msgspec

from blog.domain.articles.schemas import REPEATED_TAG
from blog.errors import UNRULED_PATTERN
from blog.fields import broken_rule
from blog.validation import MISSING_FIELD, UNKNOWN_FIELD, constrained

BLANK = "can't be blank"
INVALID = "is invalid"

_KINDS = {"str": "a string", "int": "an integer", "array": "a list", "object": "an object", "bool": "true or false"}
_UNITS = {"str": "characters", "array": "items"}
_TRANSLATIONS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"Expected `(str|array)` of length <= (\d+)"),
        lambda m: f"is too long (maximum is {m[2]} {_UNITS[m[1]]})",
    ),
    (
        re.compile(r"Expected `(str|array)` of length >= (\d+)"),
        lambda m: BLANK if m[1] == "str" and m[2] == "1" else f"is too short (minimum is {m[2]} {_UNITS[m[1]]})",
    ),
    (re.compile(r"Expected `(?:int|float)` >= (\S+)"), lambda m: f"must be greater than or equal to {m[1]}"),
    (re.compile(r"Expected `(?:int|float)` <= (\S+)"), lambda m: f"must be less than or equal to {m[1]}"),
    (
        re.compile(r"Expected `(\w+)[^`]*`, got `null`"),
        lambda m: BLANK if m[1] == "str" else f"must be {_KINDS.get(m[1], m[1])}",
    ),
    (re.compile(r"Expected `(\w+)[^`]*`, got"), lambda m: f"must be {_KINDS.get(m[1], m[1])}"),
    (re.compile(r"matching regex|" + re.escape(UNRULED_PATTERN)), lambda m: INVALID),
    (re.compile(re.escape(MISSING_FIELD)), lambda m: BLANK),
    (re.compile(re.escape(UNKNOWN_FIELD)), lambda m: "is not allowed"),
    (re.compile(re.escape(REPEATED_TAG)), lambda m: "must not name a tag twice"),
]
_ITEM = re.compile(r" - at `\$\[(\d+)\]`$")


def realworld_reason(message: str) -> str:
    """A validation message (msgspec's, or the native API's) in RealWorld's words."""
    item = _ITEM.search(message)
    reason = broken_rule(message)  # a rule's words are the same in both APIs
    if reason is None:
        translated = (words(found) for pattern, words in _TRANSLATIONS if (found := pattern.search(message)))
        reason = next(translated, _ITEM.sub("", message))
    return f"item {int(item[1]) + 1} {reason}" if item else reason


def _checked_type(annotation: Any) -> Any:
    """``annotation`` with its limits as msgspec enforces them, and without ``UNSET``."""
    if get_origin(annotation) in (Union, UnionType):
        kinds = tuple(kind for kind in get_args(annotation) if kind is not msgspec.UnsetType)
        annotation = kinds[0] if len(kinds) == 1 else Union[kinds]  # noqa: UP007 - built at run time
    return constrained(annotation)


def _accepts(kind: Any, value: Any) -> bool:
    try:
        msgspec.convert(value, kind)
    except msgspec.ValidationError:
        return False
    return True


def _field_error(value: Any, kind: Any) -> str | None:
    if isinstance(value, str) and not value.strip() and not _accepts(kind, None):
        return BLANK  # where null is no value, neither is "" (`bio` and `image` take both)
    try:
        msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        return realworld_reason(str(exc))
    return None


def envelope_errors(body: Any, envelope: type[msgspec.Struct]) -> dict[str, list[str]]:
    """Every problem with ``body``, a request for ``envelope`` (e.g. ``{"user": {...}}``), by field.

    Fields the envelope does not know are ignored; a repeated tag is refused.
    """
    (wrapper,) = msgspec.structs.fields(envelope)
    if not isinstance(body, dict) or body.get(wrapper.encode_name) is None:
        return {wrapper.encode_name: [BLANK]}
    sent = body[wrapper.encode_name]
    if not isinstance(sent, dict):
        return {wrapper.encode_name: [f"must be {_KINDS['object']}"]}
    errors: dict[str, list[str]] = {}
    for field in msgspec.structs.fields(wrapper.type):
        name = field.encode_name
        if name not in sent:
            if field.required:
                errors[name] = [BLANK]
            continue
        if (error := _field_error(sent[name], _checked_type(field.type))) is not None:
            errors[name] = [error]
    tags = sent.get("tagList")
    if "tagList" not in errors and isinstance(tags, list) and len(tags) != len(set(tags)):
        errors["tagList"] = [realworld_reason(REPEATED_TAG)]
    return errors
