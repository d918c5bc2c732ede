"""The base DTOs: how a model is shown, and how a request body for it is checked.

Each domain declares its DTOs in its ``schemas.py`` on top of these. A write DTO leaves out
what the server sets (``id``, timestamps) and refuses any field it does not know (read-only
or simply unknown) with a 400, instead of silently dropping it. Field limits come from the
models' annotations (``blog.fields``), so POST and PATCH enforce the same ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping
from functools import cache
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyDTO, SQLAlchemyDTOConfig
from litestar.dto import Mark
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.params import KwargDefinition
from litestar.types import Empty
from litestar.typing import FieldDefinition
from sqlalchemy.orm import DeclarativeBase, Mapped

ModelT = TypeVar("ModelT", bound=DeclarativeBase)

SERVER_SET = frozenset({"id", "created_at", "updated_at"})
"""Columns the server sets: never in a request body."""


def write_config(*, exclude: set[str], partial: bool = False) -> SQLAlchemyDTOConfig:
    """A write DTO's configuration: the server-set columns and ``exclude`` left out, unknown fields refused."""
    return SQLAlchemyDTOConfig(exclude={*SERVER_SET, *exclude}, partial=partial, forbid_unknown_fields=True)


@cache
def _field_constraints(model: type[Any]) -> dict[str, Any]:
    """Each constrained column's type, with its ``KwargDefinition`` limits as ``msgspec.Meta``."""
    constrained = {}
    # Models name each other in their annotations (``Mapped[Author]``) without importing each other.
    models = {mapper.class_.__name__: mapper.class_ for mapper in model.registry.mappers}
    for name, hint in get_type_hints(model, localns=models, include_extras=True).items():
        if get_origin(hint) is not Mapped:
            continue
        (inner,) = get_args(hint)
        for limit in getattr(inner, "__metadata__", ()):
            if isinstance(limit, KwargDefinition):
                limits: dict[str, Any] = {
                    key: value
                    for key in ("min_length", "max_length", "pattern", "ge", "le")
                    if (value := getattr(limit, key)) is not None
                }
                constrained[name] = Annotated[get_args(inner)[0], msgspec.Meta(**limits)]
    return constrained


class ModelDTO(SQLAlchemyDTO[ModelT]):
    """The base of every DTO here: each field is documented from the model's annotation as written.

    Litestar would otherwise copy the limits into its transfer model as ``msgspec``
    constraints, which a partial DTO cannot hold and which it documents with the id bounds
    rounded to floats; ``WriteDTO`` applies the limits itself.
    """

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        for definition in super().generate_field_definitions(model_type):
            yield dataclasses.replace(definition, passthrough_constraints=False)


@dataclasses.dataclass(frozen=True)
class _BodyField:
    type: Any
    """The field's type with the model's limits, to convert the sent value to."""
    required: bool


class WriteDTO(ModelDTO[ModelT]):
    """A request-body DTO that names every invalid field in one answer, checked strictly.

    Litestar's DTO decoding stops at the first bad field, converts loosely (``"5"`` would
    pass as the integer 5) and cannot apply limits to a partial DTO's ``field | UNSET``
    types. So every field is checked here first, in one pass: unknown or read-only fields,
    missing required ones, and each value sent against its column's type and limits. Only
    a body that passes goes on to Litestar's own decoding.
    """

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        """The body's schema, saying (as ``forbid_unknown_fields`` enforces) that no other field is allowed."""
        schema = super().create_openapi_schema(field_definition, handler_id, schema_creator)
        body = schema_creator.schema_registry.from_reference(schema).schema if isinstance(schema, Reference) else schema
        body.additional_properties = False
        return schema

    @classmethod
    @cache
    def body_fields(cls) -> Mapping[str, _BodyField]:
        """The fields a body may hold: each with its constrained type, and whether it must be sent."""
        constraints = _field_constraints(cls.model_type)
        fields = {}
        for definition in cls.generate_field_definitions(cls.model_type):
            if definition.name in cls.config.exclude or definition.dto_field.mark in {Mark.READ_ONLY, Mark.PRIVATE}:
                continue
            has_default = definition.default is not Empty or definition.default_factory is not None
            fields[definition.name] = _BodyField(
                type=constraints.get(definition.name, definition.annotation),
                required=not cls.config.partial and not has_default,
            )
        return fields

    def decode_bytes(self, value: bytes) -> Any:
        try:
            body = msgspec.json.decode(value)
        except msgspec.DecodeError:
            body = None
        if isinstance(body, dict):
            errors = self.field_errors(body)
            if errors:
                raise ValidationException(detail="Invalid request body", extra=errors)
        # Malformed JSON and non-objects are refused by Litestar, with its own message.
        return super().decode_bytes(value)

    @classmethod
    def field_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        """Every problem with ``body``'s fields, one ``{"key", "message", "source"}`` each."""
        fields = cls.body_fields()
        errors = [
            {"key": name, "message": "Object contains unknown field (or one the server sets)", "source": "body"}
            for name in body
            if name not in fields
        ]
        errors += [
            {"key": name, "message": "Object missing required field", "source": "body"}
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
                errors.append({"key": name, "message": str(exc), "source": "body"})
        return errors
