"""Follows: an author's feed is the articles of the authors they follow."""

from __future__ import annotations

from collections.abc import Iterable

from advanced_alchemy.exceptions import DuplicateKeyError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from blog.domain.profiles.models import Follow
from blog.service import RuleError

SELF_FOLLOW = "is your own: nobody follows themselves"


class FollowService(SQLAlchemyAsyncRepositoryService[Follow, "FollowService.Repo"]):
    """Who follows whom."""

    class Repo(SQLAlchemyAsyncRepository[Follow]):
        model_type = Follow

    repository_type = Repo

    async def follow(self, follower_id: int, followed_id: int) -> None:
        """``follower_id`` follows ``followed_id`` (committed; following twice changes nothing).

        Nobody follows themselves: their feed would fill with their own articles.
        """
        if follower_id == followed_id:
            raise RuleError("username", SELF_FOLLOW)
        if not await self.exists(follower_id=follower_id, followed_id=followed_id):
            try:
                await self.create({"follower_id": follower_id, "followed_id": followed_id}, auto_commit=True)
            except DuplicateKeyError:  # the same follow, at the same moment: done already
                await self.repository.session.rollback()

    async def unfollow(self, follower_id: int, followed_id: int) -> None:
        """``follower_id`` no longer follows ``followed_id`` (committed; a second time changes nothing)."""
        await self.delete_where(follower_id=follower_id, followed_id=followed_id, auto_commit=True)

    async def followed_among(self, follower_id: int | None, author_ids: Iterable[int]) -> set[int]:
        """Which of ``author_ids`` ``follower_id`` follows: one statement, for a whole page."""
        wanted = set(author_ids)
        if follower_id is None or not wanted:
            return set()
        rows = await self.get_many(Follow.follower_id == follower_id, Follow.followed_id.in_(wanted))
        return {row.followed_id for row in rows}
