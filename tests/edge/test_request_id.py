"""Request ids: unique in every process, a forked one's included."""

from __future__ import annotations

import os

from gateway.edge.request_id import new_request_id


def test_ids_of_one_process_share_its_prefix_and_never_repeat() -> None:
    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert {len(found) for found in ids} == {32}
    assert len({found[:16] for found in ids}) == 1


def test_a_forked_child_draws_its_own_prefix() -> None:
    parent = new_request_id()
    reading, writing = os.pipe()
    child_pid = os.fork()
    if child_pid == 0:  # the child
        os.write(writing, new_request_id().encode())
        os._exit(0)
    os.close(writing)
    child = os.read(reading, 64).decode()
    os.close(reading)
    os.waitpid(child_pid, 0)
    assert len(child) == 32
    assert child[:16] != parent[:16]
    assert new_request_id()[:16] == parent[:16]
