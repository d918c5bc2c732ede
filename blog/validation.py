"""Checking a request body field by field, so that one answer names every bad field.

msgspec and Litestar stop at the first error; ``body_errors`` tries each field on its own.
The write DTOs (``blog.dto``) and the bodies that are plain msgspec structs share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from litestar.params import KwargDefinition

from blog.fields import broken_rule

UNKNOWN_FIELD = "Object contains unknown field (or one the server sets)"
MISSING_FIELD = "Object missing required field"
INVALID_CHOICE = "Invalid enum value"
"""How msgspec begins its message about a value a ``Literal`` or an ``Enum`` does not list."""


_WHERE = re.compile(r" - at `[^`]*`$")
"""Where in a value msgspec found the problem, e.g. " - at `$[1]`" for a list's second item."""


def choices(annotation: Any) -> list[str]:
    """The values ``annotation`` lists (a ``Literal`` or an ``Enum``, possibly optional or
    annotated), as a client sends them; none for any other type."""
    if get_origin(annotation) is Annotated:
        return choices(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [value for kind in get_args(annotation) for value in choices(kind)]
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return []


def one_of(values: list[str]) -> str:
    return f"must be one of: {', '.join(values)}"


def explained(message: str, annotation: Any = None) -> str:
    """msgspec's ``message`` about a value, in words that say what is allowed where its own do
    not: the rule of a pattern (``blog.fields.ruled``), the values of an enum (``annotation``'s)."""
    where = _WHERE.search(message)
    if (rule := broken_rule(message)) is not None:
        return rule + (where[0] if where else "")
    if message.startswith(INVALID_CHOICE) and not where and (allowed := choices(annotation)):
        return one_of(allowed)
    return message


_META_OF = {
    "min_length": "min_length",
    "max_length": "max_length",
    "min_items": "min_length",
    "max_items": "max_length",
    "pattern": "pattern",
    "ge": "ge",
    "le": "le",
}
"""Each ``KwargDefinition`` limit, and the ``msgspec.Meta`` one that says the same."""


def _meta(limits: KwargDefinition | None) -> msgspec.Meta | None:
    if limits is None:
        return None
    found = {meta: value for kwarg, meta in _META_OF.items() if (value := getattr(limits, kwarg)) is not None}
    return msgspec.Meta(**found) if found else None


def constrained(annotation: Any, limits: KwargDefinition | None = None) -> Any:
    """``annotation`` (with ``limits``) as msgspec enforces it: every ``KwargDefinition`` in it,
    down to a list's items, as ``msgspec.Meta``; on the value's type when it may be null."""
    if get_origin(annotation) is Annotated:
        inner, *metadata = get_args(annotation)
        limits = next((m for m in metadata if isinstance(m, KwargDefinition)), limits)
        return constrained(inner, limits)
    if get_origin(annotation) in (Union, UnionType):
        return Union[tuple(constrained(kind, limits) for kind in get_args(annotation))]  # noqa: UP007 - built at run time
    if annotation is NoneType:
        return annotation
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        annotation = list[constrained(item)]  # type: ignore[misc]
    meta = _meta(limits)
    return Annotated[annotation, meta] if meta else annotation


@dataclass(frozen=True)
class BodyField:
    """One field a body may hold."""

    type: Any
    """The field's type, with its limits as ``msgspec.Meta``: what a sent value is converted to."""
    required: bool


def struct_fields(struct_type: type[msgspec.Struct]) -> dict[str, BodyField]:
    """The fields of a msgspec struct, by their names in JSON."""
    return {
        field.encode_name: BodyField(type=field.type, required=field.required)
        for field in msgspec.structs.fields(struct_type)
    }


def body_errors(body: Mapping[str, Any], fields: Mapping[str, BodyField], source: str = "body") -> list[dict[str, str]]:
    """Every problem with ``body``'s fields, one ``{"key", "message", "source"}`` each."""
    errors = [{"key": name, "message": UNKNOWN_FIELD, "source": source} for name in body if name not in fields]
    errors += [
        {"key": name, "message": MISSING_FIELD, "source": source}
        for name, field in fields.items()
        if field.required and name not in body
    ]
    for name, sent in body.items():
        if name not in fields:
            continue
        if isinstance(sent, float) and sent.is_integer():
            # JSON Schema, and so the OpenAPI document, counts `7.0` as an integer.
            sent = int(sent)
        try:
            msgspec.convert(sent, fields[name].type)
        except msgspec.ValidationError as exc:
            errors.append({"key": name, "message": explained(str(exc), fields[name].type), "source": source})
    return errors
