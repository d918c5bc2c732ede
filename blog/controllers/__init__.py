"""HTTP controllers: one module per resource. They validate, delegate to a service, answer."""

from blog.controllers.articles import ArticleController
from blog.controllers.authors import AuthorController
from blog.controllers.health import HealthController

__all__ = ("ArticleController", "AuthorController", "HealthController")
