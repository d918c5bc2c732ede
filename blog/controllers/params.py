"""Path parameters shared by the controllers."""

from typing import Annotated

from litestar.params import PathParameter

from blog.models import MAX_ID

AuthorId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The author's id.")]
ArticleId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The article's id.")]
