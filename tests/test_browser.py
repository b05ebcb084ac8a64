"""The website as a reader sees it: every page in headless Chromium, offline.

The built site is served from 127.0.0.1 by Python's http.server; Chromium (Debian's package,
never a downloaded browser) loads each page with background networking off. Every page must
load without console errors or failed requests, typeset all its math with the site's own
MathJax (no ``mjx-merror``), and load every image. Screenshots of the landing page and of a
chapter land in ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BookBuild

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "_build" / "screenshots"
MATH_NODE = re.compile(r'class="math notranslate nohighlight"')

pytestmark = pytest.mark.book

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must install Debian's chromium (see scripts/install-system-packages.sh)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def server(built_book: BookBuild) -> Iterator[str]:
    assert built_book.returncode == 0, "the book did not build"
    handler = functools.partial(_QuietHandler, directory=str(built_book.html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _pages(built_book: BookBuild) -> list[str]:
    """Every content page; redirect stubs (the root index.html) are left out."""
    html = built_book.html
    pages = []
    for path in sorted(html.rglob("*.html")):
        name = path.relative_to(html).as_posix()
        if name.startswith(("_", "genindex", "search", "py-modindex")):
            continue
        if 'http-equiv="Refresh"' in path.read_text(errors="replace"):
            continue
        pages.append(name)
    return pages


def test_every_page_loads_typesets_its_math_and_shows_its_images(
    built_book: BookBuild, server: str, browser: object
) -> None:
    pages = _pages(built_book)
    assert "book/intro.html" in pages and any(re.match(r"book/\d", p) for p in pages)
    problems: list[str] = []
    typeset_total = 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapter = next((p for p in pages if re.match(r"book/\d", p)), None) or next(
        p for p in pages if p.startswith("book/")
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    for path in pages:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.on("requestfailed", lambda r, e=errors: e.append(f"failed request {r.url}"))
        page.on(
            "response",
            lambda r, e=errors: e.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )
        page.goto(f"{server}/{path}", wait_until="load")
        expected_math = len(MATH_NODE.findall((built_book.html / path).read_text()))
        if expected_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=30_000,
            )
            page.evaluate("() => MathJax.startup.promise")
        typeset = page.locator("mjx-container").count()
        typeset_total += typeset
        if typeset < expected_math:
            problems.append(f"{path}: {typeset} formulas typeset of {expected_math}")
        if page.locator("mjx-merror").count():
            problems.append(f"{path}: MathJax reports an error in a formula")
        broken = page.evaluate(
            "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        problems += [f"{path}: image did not load: {src}" for src in broken]
        problems += [f"{path}: {error}" for error in errors]
        if path in ("book/intro.html", chapter):
            name = "landing.png" if path == "book/intro.html" else "chapter.png"
            page.screenshot(path=str(SCREENSHOTS / name), full_page=False)
        page.close()
    context.close()
    assert not problems, "\n".join(problems)
    assert typeset_total > 0
    print(f"{len(pages)} pages, {typeset_total} formulas typeset")


def test_the_root_redirects_to_the_landing_page(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server}/index.html")
    page.wait_for_url("**/book/intro.html", timeout=30_000)
    assert "Cross-entropy" in page.title()
    page.close()


def test_search_finds_a_word_of_the_course(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server}/search.html?q=entropy", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=30_000)
    assert page.locator("#search-results li").count() > 0
    page.close()
