"""An article's ``content`` as HTML: CommonMark (with tables and strikethrough), then sanitised.

Rendered once, when the content is written (``ArticleService``), and stored as
``content_html``: a read costs nothing more. markdown-it-py renders CommonMark, raw HTML
included as CommonMark allows it; nh3 (the Rust ``ammonia`` sanitiser) then keeps only the
elements and attributes on the allow-list below, whatever the Markdown or the HTML said. No
script, style, iframe, object, embed, svg, math or form element survives, nor any ``on*`` or
``style`` attribute, nor a URL whose scheme is not http, https or mailto (so no
``javascript:``, ``vbscript:`` or ``data:``, however it is spelt or encoded: ammonia parses
HTML as a browser does before it checks). Links keep their text, and get
``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "a", "img"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
"""What CommonMark with tables and strikethrough produces, and nothing else."""
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def render(content: str) -> str:
    """``content`` (CommonMark) as sanitised HTML."""
    return nh3.clean(
        _markdown.render(content),
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
