"""The ``follow`` table: who follows whom, between authors."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column


class Follow(DefaultBase):
    """``follower_id`` follows ``followed_id``: their articles are in the follower's feed."""

    __tablename__ = "follow"
    # The primary key serves "whom does X follow" (the feed); the index "who follows X".
    __table_args__ = (Index("ix_follow_followed_id", "followed_id"),)

    follower_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("author.id", ondelete="CASCADE"), primary_key=True)
    followed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("author.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=partial(datetime.now, UTC))
