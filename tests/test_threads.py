"""The fused kernel's thread pool: its size, the environment variable, and fork safety."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import xent
from xent import _rows


@pytest.fixture
def fresh_count(monkeypatch):
    """Forget the thread count, so the next use reads ``XENT_NUM_THREADS`` again."""
    monkeypatch.setattr(_rows, "_threads", None)
    monkeypatch.setattr(_rows, "_threads_error", None)


def test_set_num_threads_is_what_get_num_threads_returns():
    before = xent.get_num_threads()
    try:
        xent.set_num_threads(3)
        assert xent.get_num_threads() == 3
    finally:
        xent.set_num_threads(before)
    assert xent.get_num_threads() == before


@pytest.mark.parametrize(
    ("count", "error"),
    [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_set_num_threads_refuses_anything_but_a_positive_integer(count, error):
    with pytest.raises(error, match="count"):
        xent.set_num_threads(count)


def test_the_environment_variable_sets_the_count(monkeypatch, fresh_count):
    monkeypatch.setenv("XENT_NUM_THREADS", "5")
    assert xent.get_num_threads() == 5


def test_the_environment_variable_is_read_once(monkeypatch, fresh_count):
    monkeypatch.setenv("XENT_NUM_THREADS", "2")
    assert xent.get_num_threads() == 2
    monkeypatch.setenv("XENT_NUM_THREADS", "7")
    assert xent.get_num_threads() == 2


def test_without_the_variable_the_count_is_the_usable_cores(monkeypatch, fresh_count):
    monkeypatch.delenv("XENT_NUM_THREADS", raising=False)
    assert xent.get_num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", ""])
def test_a_malformed_variable_is_refused_by_name_only_where_threads_are_needed(
    monkeypatch, fresh_count, value
):
    monkeypatch.setenv("XENT_NUM_THREADS", value)
    # A small input never starts threads, so it still works.
    assert np.isclose(xent.softmax_cross_entropy(np.zeros((1, 2)), [0]), np.log(2))
    with pytest.raises(ValueError, match="XENT_NUM_THREADS must be a positive integer"):
        xent.get_num_threads()
    with pytest.raises(ValueError, match="XENT_NUM_THREADS"):
        xent.softmax_cross_entropy(np.zeros((64, 65536), dtype=np.float32), np.zeros(64, int))
    xent.set_num_threads(2)  # the remedy the message names
    assert xent.get_num_threads() == 2


CHILD = """
import os, sys, time
import numpy as np
import xent

xent.set_num_threads(2)
z = np.zeros((64, 65536), dtype=np.float32)
target = np.zeros(64, dtype=np.int64)
xent.softmax_cross_entropy(z, target)  # the pool's threads are running now
pid = os.fork()
if pid == 0:
    loss = xent.softmax_cross_entropy(z, target)
    os._exit(0 if np.isclose(loss, np.log(65536)) else 3)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status))
    time.sleep(0.05)
os.kill(pid, 9)
sys.exit(4)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_finishes_a_threaded_call():
    """Before the fix, the child waited forever on a pool whose threads stayed in the parent."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", CHILD], timeout=120, check=False)
    assert result.returncode == 0, "the child hung (4) or got a wrong loss (3)"
    assert time.monotonic() - start < 60
