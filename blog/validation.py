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


def constrained(annotation: Any, limits: KwargDefinition | None) -> Any:
    """``annotation`` with ``limits`` as ``msgspec.Meta``, on the value's type when it may be null."""
    meta = {
        key: value
        for key in ("min_length", "max_length", "pattern", "ge", "le")
        if limits is not None and (value := getattr(limits, key)) is not None
    }
    if not meta:
        return annotation
    types = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    constrained = [Annotated[kind, msgspec.Meta(**meta)] if kind is not NoneType else kind for kind in types]
    return Union[tuple(constrained)]  # noqa: UP007 - built at run time


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
