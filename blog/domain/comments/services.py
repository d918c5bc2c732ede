"""Comments: anyone with an account comments; only a comment's author deletes it."""

from __future__ import annotations

from collections.abc import Sequence

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.filters import OrderBy
from advanced_alchemy.service import ErrorMessages

from blog.domain.comments.models import Comment
from blog.service import BlogRepository, BlogService

COMMENT_NOT_FOUND = "Comment does not exist"


class CommentService(BlogService[Comment, "CommentService.Repo"]):
    """Comments on articles, oldest first."""

    class Repo(BlogRepository[Comment]):
        model_type = Comment
        error_messages: ErrorMessages | None = {"not_found": COMMENT_NOT_FOUND}

    repository_type = Repo
    not_owner = "Only the comment's author may delete it."
    resource = "comment"

    async def on_article(self, article_id: int) -> Sequence[Comment]:
        """The article's comments, in the order they were written (with their authors)."""
        return await self.get_many(Comment.article_id == article_id, OrderBy("created_at", "asc"), OrderBy("id", "asc"))

    async def write(self, article_id: int, author_id: int, body: str) -> Comment:
        """A new comment (committed)."""
        comment = await self.create({"article_id": article_id, "author_id": author_id, "body": body})
        await self.commit()
        return await self.get(comment.id)  # with its author

    async def delete_from(self, article_id: int, comment_id: int, owner_id: int) -> None:
        """Delete the comment (committed): a 404 unless it is on this article, a 403 unless it is the caller's."""
        if not await self.exists(Comment.id == comment_id, Comment.article_id == article_id):
            raise NotFoundError(COMMENT_NOT_FOUND)
        await self.delete_owned(comment_id, owner_id)
