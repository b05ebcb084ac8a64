"""The website: it builds without a warning, and what it builds holds together.

The book is built once per session by the ``built_book`` fixture (tests/conftest.py) with
``jupyter-book build . -W -n --keep-going``; these tests read the HTML it wrote.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import BookBuild, build_problems

pytestmark = pytest.mark.book

#: Directories of the output that hold vendored assets, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "mathjax", "_downloads"}
#: The style guide asks the heaviest page to stay around a megabyte (HTML + its images).
MAX_PAGE_BYTES = 1_500_000
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
_TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Page:
    """What the tests need from one HTML file."""

    path: Path
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)
    scripts: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    bad_outputs: list[str] = field(default_factory=list)
    has_math: bool = False
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


class _PageParser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._in_script = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.page.ids.add(str(attributes["id"]))
        if tag == "a" and attributes.get("name"):
            self.page.ids.add(str(attributes["name"]))
        for name in ("href", "src"):
            value = attributes.get(name)
            if value is not None and tag in {"a", "link", "script", "img", "source", "iframe"}:
                self.page.links.append((tag, value))
        if tag == "script":
            self._in_script += 1
            if attributes.get("src"):
                self.page.scripts.append(str(attributes["src"]))
        if tag == "img":
            self.page.images.append(attributes)
        classes = set(str(attributes.get("class") or "").split())
        if "output" in classes and classes & {"stderr", "traceback"}:
            self.page.bad_outputs.append(f"<{tag} class={attributes.get('class')!r}>")
        if "system-message" in classes:
            self.page.bad_outputs.append("a docutils system message")
        if "math" in classes:
            self.page.has_math = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script:
            self._in_script -= 1

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self.page.text_parts.append(data)


@cache
def _parse(path: Path) -> Page:
    page = Page(path)
    parser = _PageParser(page)
    parser.feed(path.read_text(encoding="utf8"))
    parser.close()
    return page


def _pages(html: Path) -> list[Page]:
    files = sorted(
        p for p in html.rglob("*.html") if not (set(p.relative_to(html).parts[:-1]) & NOT_PAGES)
    )
    return [_parse(p) for p in files]


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def _target(page: Path, url: str) -> tuple[Path, str]:
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not path:
        return page, unquote(parts.fragment)
    target = Path(posixpath.normpath(posixpath.join(page.parent.as_posix(), path)))
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


@pytest.fixture(scope="module")
def site(built_book: BookBuild) -> Iterator[list[Page]]:
    if not (built_book.html / "index.html").is_file():
        pytest.fail(
            f"the build wrote no {built_book.html / 'index.html'}:\n" + built_book.log[-3000:]
        )
    yield _pages(built_book.html)


def test_book_builds_without_warnings(built_book: BookBuild) -> None:
    print(f"book built in {built_book.seconds:.1f} s; log: {built_book.log_path}")
    assert built_book.returncode == 0, (
        "jupyter-book build . -W -n --keep-going failed:\n" + build_problems(built_book.log)
    )


def test_every_internal_link_and_anchor_resolves(built_book: BookBuild, site: list[Page]) -> None:
    html = built_book.html.resolve()
    broken: list[str] = []
    for page in site:
        where = page.path.relative_to(built_book.html)
        for tag, url in page.links:
            if _is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            target, fragment = _target(page.path, url)
            if not target.resolve().is_relative_to(html):
                broken.append(f"{where}: <{tag}> {url} points outside the site")
            elif not target.is_file():
                broken.append(f"{where}: <{tag}> {url} -> missing file")
            elif fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
                broken.append(f"{where}: <{tag}> {url} -> no id {fragment!r} in {target.name}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:100])


def test_no_page_shows_a_traceback_an_error_or_stderr(
    built_book: BookBuild, site: list[Page]
) -> None:
    found = []
    for page in site:
        where = page.path.relative_to(built_book.html)
        found += [f"{where}: {item}" for item in page.bad_outputs]
        if _TRACEBACK in page.text:
            found.append(f"{where}: contains {_TRACEBACK!r}")
    assert not found, "\n".join(found)


def test_math_is_served_by_the_site_not_a_cdn(built_book: BookBuild, site: list[Page]) -> None:
    html = built_book.html
    assert (html / "mathjax" / "tex-chtml.js").is_file(), "MathJax was not copied into the site"
    assert (html / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    problems = []
    pages_with_math = 0
    for page in site:
        where = page.path.relative_to(html)
        mathjax = [s for s in page.scripts if "mathjax" in s.lower()]
        for src in mathjax:
            if _is_external(src):
                problems.append(f"{where}: loads MathJax from the network: {src}")
            elif not _target(page.path, src)[0].is_file():
                problems.append(f"{where}: MathJax script {src} does not exist")
        if page.has_math:
            pages_with_math += 1
            if not [s for s in mathjax if not _is_external(s)]:
                problems.append(f"{where}: has math but does not load the local MathJax")
        if re.search(r"cdn\.jsdelivr\.net/npm/mathjax|mathjax@\d", page.path.read_text("utf8")):
            problems.append(f"{where}: mentions a MathJax CDN")
    assert pages_with_math, "no page has math: the check above checked nothing"
    assert not problems, "\n".join(problems)


def test_every_image_has_alt_text(built_book: BookBuild, site: list[Page]) -> None:
    missing = []
    for page in site:
        where = page.path.relative_to(built_book.html)
        for image in page.images:
            src = str(image.get("src") or "")
            alt = (image.get("alt") or "").strip()
            # docutils falls back to the image's URI when no alt text was given
            if (
                not alt
                or alt in {src, posixpath.basename(src)}
                or alt.lower().endswith(_IMAGE_SUFFIXES)
            ):
                missing.append(f"{where}: <img src={src!r}> has alt={image.get('alt')!r}")
    assert not missing, (
        "images without alt text (in a notebook, set the cell metadata "
        '{"mystnb": {"image": {"alt": "..."}}}):\n' + "\n".join(missing)
    )


def test_pages_stay_light(built_book: BookBuild, site: list[Page]) -> None:
    heavy = []
    for page in site:
        size = page.path.stat().st_size
        for image in page.images:
            src = str(image.get("src") or "")
            if src and not _is_external(src) and not src.startswith("data:"):
                target = _target(page.path, src)[0]
                if target.is_file():
                    size += target.stat().st_size
        if size > MAX_PAGE_BYTES:
            heavy.append(f"{page.path.relative_to(built_book.html)}: {size / 1e6:.2f} MB")
    assert not heavy, f"pages heavier than {MAX_PAGE_BYTES / 1e6:.0f} MB:\n" + "\n".join(heavy)


def test_the_site_ships_only_the_mathjax_it_uses(built_book: BookBuild) -> None:
    mathjax = built_book.html / "mathjax"
    shipped = {p.relative_to(mathjax).as_posix() for p in mathjax.rglob("*") if p.is_file()}
    assert "tex-chtml.js" in shipped
    unused = sorted(
        name
        for name in shipped
        if re.match(
            r"(tex|mml)-(svg|mml|chtml-full)|mml-chtml|output/svg|node-main|adaptors/", name
        )
    )
    assert not unused, f"MathJax files the site never loads: {unused[:10]}"
    size = sum((mathjax / name).stat().st_size for name in shipped)
    assert size < 8_000_000, f"{size / 1e6:.1f} MB of MathJax"


def _api_pages(site: list[Page], html: Path) -> list[Page]:
    pages = [
        p
        for p in site
        if p.path.parent == html / "book" / "api" and p.path.name not in {"index.html"}
    ]
    assert len(pages) >= 8, "the API reference is not split into one page per module"
    return pages


def test_every_api_function_is_in_its_pages_contents(
    built_book: BookBuild, site: list[Page]
) -> None:
    missing = []
    for page in _api_pages(site, built_book.html):
        text = page.path.read_text(encoding="utf8")
        objects = re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', text)
        listed = set(re.findall(r'class="reference internal nav-link" href="#([^"]+)"', text))
        assert objects, f"{page.path.name} documents nothing"
        missing += [f"{page.path.name}: {name}" for name in objects if name not in listed]
    assert not missing, "functions missing from the page contents:\n" + "\n".join(missing)


def test_docstring_references_are_citations_linked_to_the_bibliography(
    built_book: BookBuild, site: list[Page]
) -> None:
    # "Shannon, C. E. (1948)" left as plain text is a reference the build did not link
    plain = re.compile(r"[A-Z][\w'-]+, (?:[A-Z]\.[ -]?)+(?:,? and [^()]*?| et al\.)? \(\d{4}\)")
    linked = 0
    problems = []
    for page in _api_pages(site, built_book.html):
        linked += sum(1 for _, url in page.links if url.startswith("../bibliography.html#"))
        problems += [f"{page.path.name}: {m}" for m in plain.findall(page.text)]
    assert linked > 20, f"only {linked} links from the API pages to the bibliography"
    assert not problems, "references left as plain text:\n" + "\n".join(problems)


def test_the_bibliography_labels_its_entries_as_the_text_cites_them(
    built_book: BookBuild,
) -> None:
    text = (built_book.html / "book" / "bibliography.html").read_text(encoding="utf8")
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<', text)
    assert len(labels) > 20
    numbered = [label for label in labels if not re.search(r", (\d{4}|n\.d\.)(-[a-z])?$", label)]
    assert not numbered, f"labels that are not author-year: {numbered}"
    assert len(set(labels)) == len(labels), "two entries share a label"


def test_the_glossary_speaks_to_readers(built_book: BookBuild) -> None:
    text = _parse(built_book.html / "book" / "glossary.html").text
    assert "{term}" not in text and "In a chapter, link" not in text


def test_every_public_module_has_an_api_page_in_the_table_of_contents() -> None:
    root = Path(__file__).resolve().parents[1]
    modules = {
        p.stem if p.suffix == ".py" else p.name
        for p in (root / "xent").iterdir()
        if not p.name.startswith("_")
        and (p.suffix == ".py" or (p / "__init__.py").is_file())
        and p.name not in {"coursework"}
    }
    toc = (root / "_toc.yml").read_text(encoding="utf8")
    index = (root / "book" / "api" / "index.md").read_text(encoding="utf8")
    missing = [
        f"xent.{name}: "
        + ", ".join(
            what
            for what, ok in (
                (f"book/api/{name}.md", (root / "book" / "api" / f"{name}.md").is_file()),
                ("a line in _toc.yml", f"book/api/{name}\n" in toc),
                ("a row in book/api/index.md", f"`xent.{name}`" in index),
            )
            if not ok
        )
        for name in sorted(modules)
        if not (
            (root / "book" / "api" / f"{name}.md").is_file()
            and f"book/api/{name}\n" in toc
            and f"`xent.{name}`" in index
        )
    ]
    assert not missing, "modules without their API page:\n" + "\n".join(missing)
