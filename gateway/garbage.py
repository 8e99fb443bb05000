"""The garbage collector of a serving process.

After start-up everything built so far (modules, the schema, the sandbox's fixtures, caches'
skeletons) lives as long as the process: ``gc.freeze()`` moves it out of the collector's sight,
so no collection walks it again. A request allocates tens of thousands of short-lived objects
(an executed links page: dicts, strawberry objects, graphql-core's paths), nearly none in
cycles; at CPython's default threshold (700) they set off young collections several times per
request. A young threshold of 5,000 makes them rarer for a few MiB of garbage in cycles kept
a little longer; higher ones cost far more memory for little time (``tests/bench/bench_garbage``
measures both; the figures are in the README).
"""

from __future__ import annotations

import gc

# Allocations (net of frees) between young collections, then young collections per middle
# one, middle per old one (CPython's own last two).
THRESHOLDS = (5_000, 10, 10)


def settle() -> None:
    """Collect once, freeze what survives, and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
