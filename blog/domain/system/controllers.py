"""``/healthcheck``: is the app up, and can it reach its database?"""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.ext.asyncio import AsyncEngine

from blog.database import database_is_reachable
from blog.overload import NEVER_REFUSED
from blog.security import PUBLIC


class Health(msgspec.Struct):
    """The app's health; `database` is `ok` when a query just succeeded."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


class HealthController(Controller):
    path = "/healthcheck"
    tags = ["Health"]

    @get(
        operation_id="healthcheck",
        summary="Health check",
        # Answered at once under any load: a balancer must not take a busy worker for a dead one.
        opt={**PUBLIC, NEVER_REFUSED: True},
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                data_container=Health,
                description="The database cannot be reached.",
                generate_examples=False,
            )
        },
    )
    async def healthcheck(self, db_engine: NamedDependency[AsyncEngine]) -> Response[Health]:
        """Runs `SELECT 1` on the database: 200 if it answers, 503 if it does not.

        Load balancers and orchestrators can poll this to route traffic away from an
        instance that has lost its database.
        """
        if await database_is_reachable(db_engine):
            return Response(Health(status="ok", database="ok"), status_code=HTTP_200_OK)
        return Response(Health(status="unavailable", database="unreachable"), status_code=HTTP_503_SERVICE_UNAVAILABLE)
