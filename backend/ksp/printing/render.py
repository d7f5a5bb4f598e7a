"""Jinja2 templates to HTML, and the same HTML to PDF with WeasyPrint.

A PDF is rendered from the server alone: styles are inline, fonts are the system's, and
the fetcher refuses every URL that is not a `data:` URL, so a template can never make the
server reach out to the network (nor read local files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ksp.core.money import format_rupiah

TEMPLATES = Path(__file__).parent / "templates"
ALLOWED_SCHEMES = ("data",)

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["rupiah"] = format_rupiah


def render_html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def render_html_string(source: str, **context: Any) -> str:
    return _env.from_string(source).render(**context)


def _local_only_fetcher() -> Any:
    from weasyprint.urls import URLFetcher  # heavy import, only when a PDF is made

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Refuses (and remembers) every URL outside ALLOWED_SCHEMES."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=ALLOWED_SCHEMES, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme not in ALLOWED_SCHEMES:
                self.refused.append(url)
                raise ValueError(f"fetching {url!r} is refused: PDFs use local resources only")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


def html_to_pdf(html: str, *, fetcher: Any = None) -> bytes:
    """`fetcher`: a `local_only_fetcher()` the caller keeps, to see what was refused."""
    from weasyprint import HTML

    fetcher = fetcher or _local_only_fetcher()
    pdf: bytes = HTML(string=html, base_url="data:,", url_fetcher=fetcher).write_pdf()
    return pdf


local_only_fetcher = _local_only_fetcher


def render_pdf(template: str, **context: Any) -> bytes:
    return html_to_pdf(render_html(template, **context))


# Excel in an Indonesian locale reads `,` as the decimal mark, so its list separator is `;`.
# The BOM makes it read UTF-8; amounts are plain integers (no grouping) so they round-trip.
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that Excel would run as a formula (a member named "=HYPERLINK(...)") is quoted;
    numbers stay numbers, negative ones included."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return CSV_BOM + out.getvalue()


def read_csv(text: str) -> list[list[str]]:
    """The reverse of to_csv (for tests and imports): rows of strings, header first."""
    return list(csv.reader(io.StringIO(text.removeprefix(CSV_BOM)), delimiter=CSV_DELIMITER))
