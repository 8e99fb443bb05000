"""The garbage collector of a serving process.

After start-up everything built so far (modules, the schema, the sandbox's fixtures, caches'
skeletons) lives as long as the process: ``gc.freeze()`` moves it out of the collector's sight,
so no collection walks it again. A request allocates tens of thousands of short-lived objects
(an executed links page: dicts, strawberry objects, graphql-core's paths), nearly none in
cycles; at CPython's default threshold (700) they set off a young collection several times per
request and an old one every few requests. Raised thresholds make collections rare; the garbage
that is in cycles lives a little longer (the memory cost is measured in the README).
"""

from __future__ import annotations

import gc

# Allocations (net of frees) between young collections, then young collections per middle
# one, middle per old one.
THRESHOLDS = (50_000, 20, 100)


def settle() -> None:
    """Collect once, freeze what survives, and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
