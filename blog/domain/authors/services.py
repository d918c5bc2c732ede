"""The authors' business rules: accounts, their passwords, and who may change them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.service import ErrorMessages, ModelDictT, is_dict
from sqlalchemy import func, or_

from blog.domain.authors.models import Author
from blog.security import hash_password, verify_password
from blog.service import AlreadyTakenError, BlogRepository, BlogService

AUTHOR_NOT_FOUND = "Author does not exist"
UNIQUE = ("username", "email")
"""The fields two accounts may not share, whatever their case."""
BLANK_MEANS_NULL = ("bio", "image")


def _taken_by_constraint(exc: Exception) -> str:
    # Two sign-ups at the same moment both pass the check and meet at the unique index.
    taken = [field for field in UNIQUE if f"uq_author_{field}" in str(exc)] or list(UNIQUE)
    return f"{' or '.join(taken)} is already taken"


class AuthorService(BlogService[Author, "AuthorService.Repo"]):
    """Authors, who are the blog's accounts. Deleting one deletes their articles (``ON DELETE CASCADE``)."""

    class Repo(BlogRepository[Author]):
        model_type = Author
        error_messages: ErrorMessages | None = {"not_found": AUTHOR_NOT_FOUND, "duplicate_key": _taken_by_constraint}

    repository_type = Repo
    owner_field = "id"
    not_owner = "Only the account's owner may change or delete it."
    resource = "author"
    unversioned = frozenset({"password_hash"})

    async def ensure_exists(self, author_id: int) -> None:
        """Raise ``NotFoundError`` unless the author exists."""
        if not await self.exists(id=author_id):
            raise NotFoundError(AUTHOR_NOT_FOUND)

    async def sign_up(self, data: dict[str, Any]) -> Author:
        """A new account (committed): ``AlreadyTakenError`` if its username or e-mail address is taken."""
        await self._refuse_taken(data)
        return await self.create(data, auto_commit=True)

    async def update_owned(
        self, data: ModelDictT[Author], item_id: int, owner_id: int, *, if_match: str | None = None
    ) -> Author:
        await self.get_owned(item_id, owner_id, if_match=if_match)
        await self._refuse_taken(cast("dict[str, Any]", data), but=item_id)
        return await self.update(data, item_id=item_id, auto_commit=True)

    async def to_model_on_create(self, data: ModelDictT[Author]) -> ModelDictT[Author]:
        return await self._stored_form(data)

    async def to_model_on_update(self, data: ModelDictT[Author]) -> ModelDictT[Author]:
        return await self._stored_form(data)

    async def find_by_login(self, login: str) -> Author | None:
        """The account ``login`` names: its username or its e-mail address, whatever the case.

        At most one can match: a username has no ``@``, an e-mail address has one.
        """
        key = login.lower()
        return await self.get_one_or_none(or_(func.lower(Author.username) == key, func.lower(Author.email) == key))

    @staticmethod
    async def password_matches(author: Author | None, password: str) -> bool:
        """Whether ``password`` is ``author``'s; for no author (or one with no password yet) it is not,
        at the same cost (``verify_password``)."""
        return await verify_password(password, author.password_hash if author else None)

    async def authenticate(self, login: str, password: str) -> Author | None:
        """The account ``login`` names, if ``password`` is its password."""
        author = await self.find_by_login(login)
        return author if await self.password_matches(author, password) else None

    async def get_by_username(self, username: str) -> Author:
        """The account with this username, whatever its case; ``NotFoundError`` if there is none."""
        return await self.get_one(func.lower(Author.username) == username.lower())

    async def set_password(self, username: str, password: str) -> Author:
        """Give the account ``username`` a new password (committed); ``NotFoundError`` if there is none."""
        author = await self.get_by_username(username)
        return await self.update({"password": password}, item_id=author.id, auto_commit=True)

    async def _stored_form(self, data: ModelDictT[Author]) -> ModelDictT[Author]:
        """The values as stored: the password as its hash, ``""`` as null where the contract says so."""
        if not is_dict(data):
            return data
        stored = {key: (None if key in BLANK_MEANS_NULL and value == "" else value) for key, value in data.items()}
        if (password := stored.pop("password", None)) is not None:
            stored["password_hash"] = await hash_password(password)
        return stored

    async def _refuse_taken(self, data: Mapping[str, Any], but: int | None = None) -> None:
        wanted = {field: str(data[field]).lower() for field in UNIQUE if data.get(field) is not None}
        if not wanted:
            return
        clash = or_(*(func.lower(getattr(Author, field)) == value for field, value in wanted.items()))
        others = await self.get_many(clash, *([Author.id != but] if but is not None else []))
        taken = [field for field, value in wanted.items() if any(getattr(o, field).lower() == value for o in others)]
        if taken:
            raise AlreadyTakenError(taken)
