"""An article's content is CommonMark, rendered once on write and sanitised: nothing that runs survives.

The hostile corpus is OWASP's XSS filter-evasion cheat sheet's classics (script tags, event
handlers, mixed-case and entity-encoded ``javascript:``, ``data:`` URLs, SVG, styles...),
each checked by parsing the HTML the API answers, as a browser would, not by searching for
strings.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from blog.domain.articles.markdown import ALLOWED_TAGS, render
from blog.seed import WORDS, Prose, as_html
from tests.helpers import ONE_BACKEND, sign_up

HOSTILE = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<<SCRIPT>alert('XSS');//\\<</SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    "<img src=x onerror=alert(1)//",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;"
    "&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[a](data:text/html,<script>alert(1)</script>)",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<BODY ONLOAD=alert('XSS')>",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    '<p style="color:red" onclick="alert(1)">styled</p>',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><TD onmouseover=alert(1)>x</TD></TABLE>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<a href="http://ok.example" onmouseover="alert(1)">ok</a>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<details open ontoggle=alert(1)>",
    '<base href="javascript:alert(1)//">',
]
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "meta",
    "link",
    "base",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "data"}


class Elements(HTMLParser):
    """Every element and attribute in an HTML fragment, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_harmless(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    parser.close()
    for tag, attributes in parser.found:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attributes:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in URL_ATTRIBUTES and value is not None:
                scheme = "".join(value.split()).lower().partition(":")[0]
                assert scheme not in {"javascript", "vbscript", "data"}, html


@pytest.mark.parametrize("content", HOSTILE)
def test_no_hostile_content_survives_rendering(content: str) -> None:
    assert_harmless(render(content))


def test_commonmark_with_tables_and_strikethrough() -> None:
    html = render("# Title\n\nSome *em* and **strong**, ~~gone~~.\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<s>gone</s>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html
    assert "<li>one</li>" in html
    link = render("[the engine](https://example.com/engine)")
    assert link == ('<p><a href="https://example.com/engine" rel="noopener noreferrer nofollow">the engine</a></p>\n')
    assert "click" in render('<a href="javascript:alert(1)">click</a>')  # a link keeps its text


def test_the_seed_generators_html_is_what_the_renderer_gives() -> None:
    """The generator writes its prose's HTML without the renderer (a million would take half a minute)."""
    import random

    rng = random.Random(7)
    prose = Prose(rng)
    for _ in range(200):
        sentence = prose.sentence(rng, 4, 60)
        assert as_html(sentence) == render(sentence)
    assert all(word.isalpha() for word in WORDS)


@ONE_BACKEND
async def test_the_api_answers_content_html_rendered_once_on_write(client: AsyncTestClient[Any]) -> None:
    ada = await sign_up(client)
    content = "**Bold** <script>alert(1)</script><img src=x onerror=alert(1)>"
    created = await client.post("/articles", json={"title": "T", "content": content}, headers=ada.headers)
    article = created.json()
    assert article["content"] == content  # the source is kept as written
    assert_harmless(article["content_html"])
    assert article["content_html"].startswith("<p><strong>Bold</strong>")
    updated = await client.patch(f"/articles/{article['id']}", json={"content": "~~old~~ new"}, headers=ada.headers)
    assert updated.json()["content_html"] == "<p><s>old</s> new</p>\n"
    read = await client.get(f"/articles/{article['id']}")
    assert read.json()["content_html"] == "<p><s>old</s> new</p>\n"
