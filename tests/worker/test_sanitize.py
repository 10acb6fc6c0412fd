"""The sanitize stage: hostile HTML loses everything active, blog formatting survives, URLs become absolute."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from atai_worker import sanitize
from atai_worker.hidden import drop_hidden_from_fragment
from atai_worker.sanitize import plain_text, sanitize_html, text_start

BASE = "https://blog.larkmouth.example/2026/11/post.html"

# Anything here in sanitized output could run code, load something or restyle the page.
FORBIDDEN = re.compile(
    r"<\s*(script|style|iframe|frame|object|embed|svg|math|form|input|button|textarea|base|meta|link)\b"
    r"|\son\w+\s*=|\sstyle\s*=|javascript:|vbscript:|data:|srcdoc|formaction",
    re.IGNORECASE,
)

HOSTILE = {
    "script": ("<script>alert(1)</script><p>kept</p>", "kept"),
    "script inside text": ("<p>before<script>steal()</script>after</p>", "beforeafter"),
    # The leftover "</script>" is escaped text, shown to the reader, never parsed as a tag.
    "nested script trick": ("<<script>script>alert(1)<</script>/script><p>kept</p>", "</script> kept"),
    "img onerror": ('<img src="https://x.example/a.png" onerror="alert(1)">', ""),
    "unquoted onerror": ("<img src=x onerror=alert(1)//>", ""),
    "div onclick": ('<div onclick="alert(1)">click me</div>', "click me"),
    "a onmouseover": ('<a href="https://ok.example/" onmouseover="x()" target="_blank">ok</a>', "ok"),
    "javascript href": ('<a href="javascript:alert(1)">js</a>', "js"),
    "mixed case javascript": ('<a href="JaVaScRiPt:alert(1)">js</a>', "js"),
    "tab in javascript": ('<a href="jav&#x09;ascript:alert(1)">tab</a>', "tab"),
    "newline in javascript": ('<a href="jav&#x0A;ascript:alert(1)">nl</a>', "nl"),
    "entity-encoded javascript": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">enc</a>', "enc"),
    "leading spaces javascript": ('<a href="  &#14; javascript:alert(1)">sp</a>', "sp"),
    "data href": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>', "d"),
    "data image": ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', ""),
    "vbscript": ('<a href="vbscript:msgbox(1)">vb</a>', "vb"),
    "iframe": ('<iframe src="https://evil.example/"><p>fallback</p></iframe><p>kept</p>', "kept"),
    "srcdoc iframe": ('<iframe srcdoc="<script>alert(1)</script>"></iframe><p>kept</p>', "kept"),
    "object and embed": ('<object data="movie.swf"><embed src="movie.swf"></object><p>kept</p>', "kept"),
    "style block": ("<style>body{display:none}</style><p>kept</p>", "kept"),
    "style attribute": ('<p style="background:url(javascript:alert(1))">text</p>', "text"),
    "svg onload": ('<svg onload="alert(1)"><script>alert(2)</script><text>x</text></svg><p>kept</p>', "kept"),
    "math confusion": ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
    "form": ('<form action="https://evil.example/"><input name="q"><button formaction="x">Go</button></form>'
             "<p>kept</p>", "kept"),
    "base and meta": ('<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=x">'
                      '<link rel="stylesheet" href="https://evil.example/x.css"><p>kept</p>', "kept"),
    "comment": ("<!-- <script>alert(1)</script> --><p>kept</p>", "kept"),
    "unclosed tags": ("<p>unclosed <b>bold <i>italic", "unclosed bold italic"),
}


@pytest.mark.parametrize(("html", "text"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markup_loses_everything_active(html, text):
    cleaned = sanitize_html(html, base_url=BASE)

    assert not FORBIDDEN.search(cleaned), cleaned
    assert plain_text(cleaned) == text


def test_unclosed_tags_are_closed():
    assert sanitize_html("<p>unclosed <b>bold <i>italic") == "<p>unclosed <b>bold <i>italic</i></b></p>"


def test_blog_formatting_is_kept():
    html = (
        "<h2>Heading</h2><h3>Sub</h3><p>Text with <em>em</em>, <strong>strong</strong>, <b>b</b>, <i>i</i>, "
        "<u>u</u>, <s>s</s>, H<sub>2</sub>O and x<sup>2</sup>.<br>Next line.</p>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>quoted</p></blockquote>"
        "<pre><code>print('hi')</code></pre><hr>"
        '<figure><img src="https://img.example/a.jpg" alt="A" title="T" width="640" height="480">'
        "<figcaption>Caption</figcaption></figure>"
        "<table><caption>Tides</caption><thead><tr><th>Day</th></tr></thead>"
        "<tbody><tr><td>Mon</td></tr></tbody></table>"
        '<p><a href="https://ok.example/page" title="Go">link</a> <a href="mailto:editor@larkmouth.example">mail</a></p>'
    )
    cleaned = sanitize_html(html, base_url=BASE)

    for tag in ("h2", "h3", "p", "em", "strong", "b", "i", "u", "s", "sub", "sup", "ul", "ol", "li",
                "blockquote", "pre", "code", "figure", "figcaption", "table", "caption", "thead", "tbody",
                "tr", "th", "td"):
        assert f"<{tag}>" in cleaned, tag
    assert "<br>" in cleaned and "<hr>" in cleaned
    assert '<img src="https://img.example/a.jpg" alt="A" title="T" width="640" height="480">' in cleaned
    assert '<a href="https://ok.example/page" title="Go" rel="noopener noreferrer">link</a>' in cleaned
    assert '<a href="mailto:editor@larkmouth.example" rel="noopener noreferrer">mail</a>' in cleaned


def test_unknown_tags_are_dropped_but_their_text_stays():
    cleaned = sanitize_html('<div class="x" id="y"><span data-track="1">Hello</span> <custom-el>world</custom-el></div>')

    assert cleaned == "Hello world"


@pytest.mark.parametrize(("relative", "absolute"), [
    ("/about", "https://blog.larkmouth.example/about"),
    ("pic.png", "https://blog.larkmouth.example/2026/11/pic.png"),
    ("../archive", "https://blog.larkmouth.example/2026/archive"),
    ("//cdn.larkmouth.example/x.js", "https://cdn.larkmouth.example/x.js"),
    ("?page=2", "https://blog.larkmouth.example/2026/11/post.html?page=2"),
    ("#comments", "https://blog.larkmouth.example/2026/11/post.html#comments"),
    ("https://other.example/kept", "https://other.example/kept"),
])
def test_relative_urls_are_resolved_against_the_base(relative, absolute):
    cleaned = sanitize_html(f'<p><a href="{relative}">link</a><img src="{relative}" alt=""></p>', base_url=BASE)

    assert f'href="{absolute}"' in cleaned
    assert f'src="{absolute}"' in cleaned


def test_without_a_usable_base_relative_urls_stay_as_they_are():
    for base in (None, "", "javascript:alert(1)//", "/relative/base"):
        cleaned = sanitize_html('<a href="/about">a</a><a href="javascript:alert(1)">b</a>', base_url=base)
        assert cleaned == '<a href="/about" rel="noopener noreferrer">a</a><a rel="noopener noreferrer">b</a>'


def test_a_base_with_an_upper_case_scheme_is_used_and_one_without_a_host_is_not():
    cleaned = sanitize_html('<a href="/about">a</a>', base_url="HTTPS://blog.larkmouth.example/post")
    assert cleaned == '<a href="https://blog.larkmouth.example/about" rel="noopener noreferrer">a</a>'
    for base in ("http://", "https:///post"):
        cleaned = sanitize_html('<a href="/about">a</a>', base_url=base)
        assert cleaned == '<a href="/about" rel="noopener noreferrer">a</a>'


@pytest.mark.parametrize("html", ["", "   ", "<p> </p>", "<div>&nbsp;</div>", "<br><br>",
                                  "<script>alert(1)</script>", "<style>p{}</style>", "<!-- only a comment -->"])
def test_nothing_left_means_an_empty_string(html):
    assert sanitize_html(html, base_url=BASE) == ""


def test_an_image_alone_is_content():
    assert sanitize_html('<img src="/a.png" alt="">', base_url=BASE) == '<img src="https://blog.larkmouth.example/a.png" alt="">'


def test_a_large_article_keeps_all_its_links():
    paragraph = '<p>Text <a href="/post/{n}">link {n}</a> <img src="img/{n}.png" alt="p{n}"></p>'
    html = "".join(paragraph.format(n=n) for n in range(2000))
    assert len(html) > 125_000
    cleaned = sanitize_html(html, base_url=BASE)

    assert cleaned.count('href="https://blog.larkmouth.example/post/') == 2000
    assert cleaned.count('src="https://blog.larkmouth.example/2026/11/img/') == 2000


@pytest.mark.parametrize(("html", "text"), [
    ("<p>One</p><p>Two</p>", "One Two"),
    ("Tea &amp; cake &lt;3 &#8212; &eacute;clair", "Tea & cake <3 — éclair"),
    ("<h1>Title</h1>\n\n<div>  lots   of\tspace  </div>", "Title lots of space"),
    ("line<br>break", "line break"),
    ("<script>alert(1)</script><style>p{}</style>visible", "visible"),
    ("non&nbsp;breaking", "non breaking"),
    ("<ul><li>a</li><li>b</li></ul>", "a b"),
    ("", ""),
])
def test_plain_text(html, text):
    assert plain_text(html) == text


def test_text_start_is_the_whole_text_of_a_short_fragment():
    html = "<p>Three <b>short</b> words</p><script>no()</script>"
    assert text_start(html, 500) == plain_text(html) == "Three short words"


def test_text_start_of_a_long_article_is_the_start_of_its_text():
    html = "<h2>Heading</h2>" + "".join(f"<p>Paragraph {n} with <a href='/x'>a link</a> &amp; more.</p>" for n in range(5000))
    start = text_start(html, 300)
    whole = plain_text(html)
    assert len(start) > 300
    assert len(start) < len(whole)
    # Only the last word may be cut where the prefix ended.
    assert whole.startswith(start.rsplit(" ", 1)[0])


def test_the_allowed_html_is_the_contracts():
    contract = Path(__file__).resolve().parents[2] / "contract" / "worker-api.json"
    allowed = json.loads(contract.read_text(encoding="utf-8"))["x-atai-html"]
    assert set(allowed) == {"tags", "attributes", "url_schemes"}
    assert sanitize._ALLOWED_TAGS == set(allowed["tags"])
    assert sanitize._ALLOWED_ATTRIBUTES == {tag: set(names) for tag, names in allowed["attributes"].items()}
    assert sanitize._URL_SCHEMES == set(allowed["url_schemes"])
    # And the sanitizer acts on it: every allowed tag, attribute and scheme comes through.
    for tag in allowed["tags"]:
        names = allowed["attributes"].get(tag, [])
        attributes = "".join(f' {name}="{"https://larkmouth.example/x" if name in ("href", "src") else "2"}"'
                             for name in names)
        cleaned = sanitize_html(f"<table><tr><{tag}{attributes}>text</{tag}></tr></table>")
        assert f"<{tag}{attributes}" in cleaned.replace(' rel="noopener noreferrer"', ""), tag
    for scheme in allowed["url_schemes"]:
        assert f'href="{scheme}:' in sanitize_html(f'<a href="{scheme}://larkmouth.example/">x</a>')
    assert "href" not in sanitize_html('<a href="ftp://larkmouth.example/">x</a>')


def test_text_hidden_from_readers_is_dropped_before_the_style_that_hides_it():
    html = ('<p>Seen.</p><p style="display: none !important">HIDDEN-1</p><div hidden>HIDDEN-2</div>'
            '<span style="visibility:hidden">HIDDEN-3</span><span style="font-size:0">HIDDEN-4</span>'
            '<span style="opacity:0.0">HIDDEN-5</span><span style="color:#FFF">HIDDEN-6</span>'
            '<span style="color:rgba(0,0,0,0)">HIDDEN-7</span><span style="position:absolute;left:-9999px">HIDDEN-8</span>'
            '<div style="background:#102030"><span style="color:#102030">HIDDEN-9</span>'
            '<span style="color:#ffffff">White on dark is seen.</span></div>'
            '<style>.x { display: none } @media print { .y { display: none } }</style>'
            '<p class="a x">HIDDEN-10</p><p class="y">Hidden in print only, seen on screen.</p>'
            '<p>Tail <b style="display:none">HIDDEN-11</b>kept.</p>')
    cleaned = sanitize_html(html)

    assert "HIDDEN" not in cleaned
    for seen in ("Seen.", "White on dark is seen.", "Hidden in print only, seen on screen.", "Tail kept."):
        assert seen in plain_text(cleaned)


def test_html_where_nothing_is_hidden_comes_back_as_it_was():
    for html in ("<p>Plain paragraph.</p>", '<p style="text-align:center">A hidden cove, <b>seen</b> by all.</p>'):
        assert drop_hidden_from_fragment(html) is html
