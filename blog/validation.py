"""Checking a request body field by field, so that one answer names every bad field.

msgspec and Litestar stop at the first error; ``body_errors`` tries each field on its own.
The write DTOs (``blog.dto``) and the bodies that are plain msgspec structs share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from litestar.params import KwargDefinition

UNKNOWN_FIELD = "Object contains unknown field (or one the server sets)"
MISSING_FIELD = "Object missing required field"


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
            errors.append({"key": name, "message": str(exc), "source": source})
    return errors
