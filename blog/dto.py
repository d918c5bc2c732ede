"""The base DTOs: how a model is shown, and how a request body for it is checked.

Each domain declares its DTOs in its ``schemas.py`` on top of these. A write DTO leaves out
what the server sets (``id``, timestamps) and refuses any field it does not know (read-only
or simply unknown) with a 400, instead of silently dropping it; it names the fields a body
must hold in ``required``. Field limits come from the models' annotations (``blog.fields``),
so POST and PATCH enforce the same ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping
from functools import cache
from typing import Any, ClassVar, TypeVar

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyDTO, SQLAlchemyDTOConfig
from litestar.dto import Mark
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.params import KwargDefinition
from litestar.typing import FieldDefinition
from sqlalchemy.orm import DeclarativeBase

from blog.validation import BodyField, body_errors, constrained

ModelT = TypeVar("ModelT", bound=DeclarativeBase)

SERVER_SET = frozenset({"id", "created_at", "updated_at"})
"""Columns the server sets: never in a request body."""


def write_config(*, exclude: set[str]) -> SQLAlchemyDTOConfig:
    """A write DTO's configuration: the server-set columns and ``exclude`` left out, unknown fields refused.

    Partial for Litestar: which fields a body must hold is the DTO's ``required``, checked
    with everything else by ``blog.validation.body_errors``.
    """
    return SQLAlchemyDTOConfig(exclude={*SERVER_SET, *exclude}, partial=True, forbid_unknown_fields=True)


_schema_names: dict[str, str] = {}
"""Each component name a DTO class declared (``__schema_name__``), and that class."""


def _component(schema: Reference | Schema, schema_creator: Any) -> Schema:
    """The object schema ``schema`` is, refers to, or (an array's) has as items."""
    if isinstance(schema, Schema) and isinstance(schema.items, Reference):
        schema = schema.items
    if isinstance(schema, Reference):
        found: Schema = schema_creator.schema_registry.from_reference(schema).schema
        return found
    return schema


class ModelDTO(SQLAlchemyDTO[ModelT]):
    """The base of every DTO here: one component in the OpenAPI document, documented as the model is annotated.

    Litestar makes a transfer model per handler a DTO serves, each its own component
    (``GetArticleArticleResponseBody``, ``ListArticlesArticleResponseBody``...), so a client
    generated from the document would have as many classes for one article. A concrete DTO
    therefore declares its component's name in ``__schema_name__`` (Litestar's, since 2.20:
    litestar-org/litestar#3427): every handler's transfer model is then named so, and Litestar
    refers them all to the component of the first. The component is that first handler's, so
    two DTO classes may not share a name (they would share one schema): a second is refused here.

    Each field is documented from the model's annotation as written: Litestar would otherwise
    copy the limits into its transfer model as ``msgspec`` constraints, which a partial DTO
    cannot hold and which it documents with the id bounds rounded to floats; ``WriteDTO``
    applies the limits itself.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (name := cls.__dict__.get("__schema_name__")) is not None:
            owner = f"{cls.__module__}.{cls.__qualname__}"
            if (other := _schema_names.setdefault(name, owner)) != owner:
                msg = f"{owner} and {other} both name their OpenAPI component {name!r}; each DTO needs its own"
                raise TypeError(msg)

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        for definition in super().generate_field_definitions(model_type):
            yield dataclasses.replace(definition, passthrough_constraints=False)

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        """As an answer, every field is required: the DTO sends each one, ``null`` or not.

        Litestar requires only the fields without a default, as a request body's may be left
        out; a generated client would then make ``created_at`` and the like optional (``Unset``)
        in every article it reads.
        """
        schema = super().create_openapi_schema(field_definition, handler_id, schema_creator)
        if field_definition.name != "data":  # the DTO's own test for a request body
            answer = _component(schema, schema_creator)
            answer.required = sorted(answer.properties or {})
        return schema


class WriteDTO(ModelDTO[ModelT]):
    """A request-body DTO that names every invalid field in one answer, checked strictly.

    Litestar's DTO decoding stops at the first bad field, converts loosely (``"5"`` would
    pass as the integer 5) and cannot apply limits to a partial DTO's ``field | UNSET``
    types. So every field is checked here first, in one pass: unknown or read-only fields,
    missing required ones, and each value sent against its column's type and limits. Only
    a body that passes goes on to Litestar's own decoding.
    """

    required: ClassVar[frozenset[str]] = frozenset()
    """The fields a body must hold (none, for an update)."""
    example: ClassVar[Mapping[str, Any] | None] = None
    """A body the API accepts, the document's example (tests check it against the body's schema,
    and Schemathesis sends it)."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        """The body's schema: the fields it must hold, and (as ``forbid_unknown_fields`` enforces) no others."""
        schema = super().create_openapi_schema(field_definition, handler_id, schema_creator)
        body = _component(schema, schema_creator)
        body.additional_properties = False
        body.required = sorted(cls.required) or None
        if cls.example is not None:
            body.examples = [dict(cls.example)]
        return schema

    @classmethod
    @cache
    def body_fields(cls) -> Mapping[str, BodyField]:
        """The fields a body may hold: each with its constrained type, and whether it must be sent."""
        fields = {}
        for definition in cls.generate_field_definitions(cls.model_type):
            if definition.name in cls.config.exclude or definition.dto_field.mark in {Mark.READ_ONLY, Mark.PRIVATE}:
                continue
            limits = definition.kwarg_definition if isinstance(definition.kwarg_definition, KwargDefinition) else None
            fields[definition.name] = BodyField(
                type=constrained(definition.annotation, limits),
                required=definition.name in cls.required,
            )
        return fields

    @classmethod
    def rule_errors(cls, body: Mapping[str, Any]) -> list[dict[str, str]]:
        """Problems a field's type cannot say (e.g. repeated values), as ``body_errors`` gives them."""
        return []

    def decode_bytes(self, value: bytes) -> Any:
        try:
            body = msgspec.json.decode(value)
        except msgspec.DecodeError:
            body = None
        if isinstance(body, dict):
            errors = body_errors(body, self.body_fields()) + self.rule_errors(body)
            if errors:
                raise ValidationException(detail="Invalid request body", extra=errors)
        # Malformed JSON and non-objects are refused by Litestar, with its own message.
        return super().decode_bytes(value)
