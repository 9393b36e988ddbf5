"""Text the page shows that comes from files, folders, attributes or errors, made safe to show.

A file name, a folder name or a `units` attribute may hold HTML, and the page renders Markdown (HTML
allowed) in its panes and HTML in its toasts: such text is escaped so that it shows as text and never
runs. Server paths are shown relative to their data root, and any other absolute path by its last part.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from pathlib import Path

# Markdown's inline syntax (links and images, emphasis, code, strikethrough, math), made literal by a
# backslash (CommonMark 2.4); `&`, `<` and `>` become HTML entities. Dates, numbers and sentences keep
# their `-`, `.` and `:` as they are.
_MARKDOWN = re.compile(r"([\\`*_\[\]~$|])")
# an absolute POSIX path: `/` after a start, a space, a quote or a bracket, then at least two parts
_ABSOLUTE = re.compile(r"(?<![\w.~/])/(?:[^\s/'\"()\[\],;]+/)+([^\s/'\"()\[\],;]+)")


def relative_paths(text: str, roots: Iterable[Path] = ()) -> str:
    """`text` with the paths under `roots` relative to their root and other absolute paths cut to
    their last part: a message never shows where the server keeps its files."""
    for root in sorted({p for r in roots for p in (str(r), os.path.realpath(r))}, key=len, reverse=True):
        text = text.replace(root.rstrip(os.sep) + os.sep, "")
    return _ABSOLUTE.sub(r"\1", text)


def as_html(text: str, roots: Iterable[Path] = ()) -> str:
    """`text` for a place that renders HTML (toasts): shown as text, paths relative."""
    return html.escape(relative_paths(str(text), roots), quote=True)


def as_markdown(text: str, roots: Iterable[Path] = ()) -> str:
    """`text` for a Markdown pane (alert, status, sidebar, tooltips): shown as text, paths relative."""
    return _MARKDOWN.sub(r"\\\1", html.escape(relative_paths(str(text), roots), quote=False))
