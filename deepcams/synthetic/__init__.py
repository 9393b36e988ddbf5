"""A synthetic PM2.5 world: the built-in demo dataset and extra training data (a data source).

`make_world` returns a CAMS-like 3-hourly 0.75 deg input and a GEOS-CF-like hourly 0.25 deg truth;
`write_demo` writes them in the providers' file conventions; `open_demo` reads the cached demo through
the project's readers. See docs/synthetic-world.md.
"""

from deepcams.synthetic.demo import open_demo, write_demo
from deepcams.synthetic.world import GENERATOR_VERSION, make_world

__all__ = ["GENERATOR_VERSION", "make_world", "open_demo", "write_demo"]
