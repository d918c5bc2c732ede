"""Path parameters shared by the controllers."""

from typing import Annotated

from litestar.params import PathParameter

from blog.models import ID_BOUNDS

AuthorId = Annotated[int, PathParameter(**ID_BOUNDS, description="The author's id.")]
ArticleId = Annotated[int, PathParameter(**ID_BOUNDS, description="The article's id.")]
