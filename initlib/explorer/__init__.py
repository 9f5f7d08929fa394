"""The initialization explorer: pick an initializer, watch a network train.

Two faces of the same experiment:

``Explorer``
    The live playground (ipywidgets 8), for JupyterLab and Binder. Controls: dataset,
    initializer (every registry name, times a free scale), activation, depth, width,
    learning rate, epochs; buttons Train / Step / Reset. Views, redrawn together: the cost
    on the training and validation sets, the decision boundary (2-D data), histograms of
    each layer's activations and back-propagated gradients, and a table of per-layer
    statistics. Training runs in chunks of epochs, so the views move while it trains.
``kernel_free_twin``
    The same views precomputed for a small grid of settings (initializer × activation ×
    depth, with snapshots over training) and packed into one self-contained HTML block
    with its own JavaScript: it works in the static HTML book, with no kernel and no network.

Both run the same ``Run`` (a network, its data and its training history) and measure the
same things with :func:`initlib.layer_stats`; ``Run`` is also handy on its own.

=================  ========================================================================
module             what it holds
=================  ========================================================================
``runs``           ``Settings``, ``make_init``, ``Run``: the numbers, nothing drawn
``widget``         ``Explorer``: the ipywidgets controls; draws with ``initlib.plots``
``twin``           ``precompute_twin``, ``twin_html``, ``kernel_free_twin`` and readers
``twin.js``        the twin's drawing script (package data, read by ``twin.asset``)
``twin.css``       the twin's style sheet (package data)
=================  ========================================================================

Examples
--------
In a notebook::

    from initlib.explorer import Explorer
    Explorer(init="zeros", activation="tanh", depth=3)     # displays the widget

Driven from code (what the tests do)::

    ex = Explorer()
    ex.controls["init"].value = "he_normal"   # the views are redrawn
    ex.step()                                  # one more epoch
    ex.state["epoch"], ex.views["loss"][-1]
"""

from .runs import DATASETS, UNIT_OPTIONS, Run, Settings, make_init
from .twin import (TWIN_INITS, kernel_free_twin, precompute_twin, twin_html, twin_outcomes,
                   twin_summary, twin_table)
from .widget import Explorer

__all__ = ["Settings", "Run", "Explorer", "make_init", "precompute_twin", "twin_html",
           "kernel_free_twin", "twin_outcomes", "twin_summary", "twin_table", "DATASETS",
           "UNIT_OPTIONS", "TWIN_INITS"]
