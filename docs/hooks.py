"""mkdocs hook: fills docs pages from the project's own data (one source).

``<!-- API-TABLE -->`` in a page becomes the supported-API table,
``api_table.markdown()`` from ``compat.tf1.api_table``. The module is data only (it
imports ``collections``), and ``import compat`` imports no TensorFlow, so building the docs does not import TensorFlow.

Registered in ``mkdocs.yml`` under ``hooks:``. :func:`render` is the whole
substitution, for tests: ``render(pathlib.Path("docs/api.md").read_text())``.
"""

import logging
import pathlib
import sys

API_TABLE_MARKER = "<!-- API-TABLE -->"
ROOT = pathlib.Path(__file__).resolve().parents[1]

log = logging.getLogger("mkdocs.hooks.compat")


def load_api_table():
    """The checkout's ``compat.tf1.api_table`` module."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the checkout, installed or not
    from compat.tf1 import api_table

    return api_table


def render(markdown):
    """`markdown` with the API-table marker replaced by the generated table."""
    if API_TABLE_MARKER in markdown:
        markdown = markdown.replace(API_TABLE_MARKER, load_api_table().markdown())
    return markdown


def on_page_markdown(markdown, page, config, files):
    rendered = render(markdown)
    if page.file.src_uri == "api.md" and rendered == markdown:
        log.warning("docs/api.md has no %s marker: the API table is missing", API_TABLE_MARKER)
    return rendered
