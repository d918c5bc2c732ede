"""Data transfer objects: which model fields a client may read, and which it may write.

``id`` and the timestamps are set by the server, so the write DTOs leave them out, and
``forbid_unknown_fields`` turns any field a write DTO does not know (read-only or simply
unknown) into a 400 instead of silently dropping it. Field limits come from the models'
annotations (``blog.models``), so POST and PATCH enforce the same ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyDTO, SQLAlchemyDTOConfig
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.params import KwargDefinition
from litestar.typing import FieldDefinition
from sqlalchemy.orm import DeclarativeBase, Mapped

from blog.models import Article, Author

if TYPE_CHECKING:
    # Litestar keeps the schema creator private; DTOs receive it only to build their schema.
    from litestar._openapi.schema_generation import SchemaCreator

ModelT = TypeVar("ModelT", bound=DeclarativeBase)

SERVER_SET = frozenset({"id", "created_at", "updated_at"})


def _write_config(*, relationship: str, partial: bool = False) -> SQLAlchemyDTOConfig:
    return SQLAlchemyDTOConfig(exclude={*SERVER_SET, relationship}, partial=partial, forbid_unknown_fields=True)


@cache
def _field_constraints(model: type[Any]) -> dict[str, Any]:
    """Each constrained column's type, with its ``KwargDefinition`` limits as ``msgspec.Meta``."""
    constrained = {}
    for name, hint in get_type_hints(model, include_extras=True).items():
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


class WriteDTO(ModelDTO[ModelT]):
    """A request-body DTO that checks each field sent strictly against the model's limits.

    Two gaps in Litestar's DTO decoding are closed here, in one place for POST and PATCH:
    it converts loosely (``"5"`` would pass as the integer 5), and it cannot apply limits to
    a partial DTO's ``field | UNSET`` types (it drops the lengths and fails on a pattern).
    So the DTO decodes the body's shape (unknown, missing and read-only fields) and then
    every field present in the body is converted strictly to its constrained type.
    """

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        """The body's schema, saying (as ``forbid_unknown_fields`` enforces) that no other field is allowed."""
        schema = super().create_openapi_schema(field_definition, handler_id, schema_creator)
        body = schema_creator.schema_registry.from_reference(schema).schema if isinstance(schema, Reference) else schema
        body.additional_properties = False
        return schema

    def decode_bytes(self, value: bytes) -> Any:
        data = super().decode_bytes(value)
        constraints = _field_constraints(self.model_type)
        errors = []
        for name, field_value in msgspec.json.decode(value).items():
            if name in constraints:
                if isinstance(field_value, float) and field_value.is_integer():
                    # JSON Schema, and so the OpenAPI document, counts `7.0` as an integer.
                    field_value = int(field_value)
                try:
                    msgspec.convert(field_value, constraints[name])
                except msgspec.ValidationError as exc:
                    errors.append({"key": name, "message": str(exc), "source": "body"})
        if errors:
            raise ValidationException(detail="Invalid request body", extra=errors)
        return data


class AuthorRead(ModelDTO[Author]):
    """An author as the API shows it."""

    config = SQLAlchemyDTOConfig(exclude={"articles"})


class AuthorCreate(WriteDTO[Author]):
    """The body of ``POST /authors``: every writable field, all required."""

    config = _write_config(relationship="articles")


class AuthorUpdate(WriteDTO[Author]):
    """The body of ``PATCH /authors/{id}``: any subset of the writable fields."""

    config = _write_config(relationship="articles", partial=True)


class ArticleRead(ModelDTO[Article]):
    """An article as the API shows it."""

    config = SQLAlchemyDTOConfig(exclude={"author"})


class ArticleCreate(WriteDTO[Article]):
    """The body of ``POST /articles``: every writable field, all required."""

    config = _write_config(relationship="author")


class ArticleUpdate(WriteDTO[Article]):
    """The body of ``PATCH /articles/{id}``: any subset of the writable fields."""

    config = _write_config(relationship="author", partial=True)
