"""Changing a page's Bokeh models from outside Panel's own callbacks.

A HoloViews stream callback (a tap) runs without the document lock that a change of a Bokeh model needs on
a served page; such changes wait for the page's next tick, which holds it. Off a server they apply at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bokeh.model import Model


def change_models(models: Sequence[Model], change: Callable[[], None]) -> None:
    """Run `change` (which sets properties of `models`) where the models' document allows it."""
    doc = models[0].document if models else None
    if doc is not None and doc.session_context is not None:
        doc.add_next_tick_callback(change)
    else:
        change()
