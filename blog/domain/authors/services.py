"""The authors' business rules."""

from __future__ import annotations

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.service import ErrorMessages

from blog.domain.authors.models import Author
from blog.service import BlogRepository, BlogService

AUTHOR_NOT_FOUND = "Author does not exist"


class AuthorService(BlogService[Author, "AuthorService.Repo"]):
    """Authors. Deleting one deletes their articles (``ON DELETE CASCADE``)."""

    class Repo(BlogRepository[Author]):
        model_type = Author
        error_messages: ErrorMessages | None = {"not_found": AUTHOR_NOT_FOUND}

    repository_type = Repo

    async def ensure_exists(self, author_id: int) -> None:
        """Raise ``NotFoundError`` unless the author exists."""
        if not await self.exists(id=author_id):
            raise NotFoundError(AUTHOR_NOT_FOUND)
