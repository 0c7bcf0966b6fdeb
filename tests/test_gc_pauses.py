"""pedal.gc_pauses: every garbage collection timed, by thread, and the long ones' moments kept."""

import gc
import threading
import time

import pytest

from pedal.gc_pauses import GcPauses


class Cycle:
    def __init__(self):
        self.me = self


def test_each_collection_is_timed_on_the_thread_that_ran_it():
    pauses = GcPauses().install()
    try:
        gc.collect()
        worker = threading.Thread(target=gc.collect, name="pedal-audio")
        worker.start()
        worker.join()
    finally:
        pauses.remove()
    status = pauses.as_status()
    assert status["collections"] == 2
    assert status["by_thread"]["MainThread"]["collections"] == 1
    assert status["by_thread"]["pedal-audio"]["collections"] == 1
    assert status["longest_ms"] >= status["by_thread"]["pedal-audio"]["longest_ms"] > 0
    gc.collect()
    assert pauses.as_status()["collections"] == 2          # removed: no longer counted


def test_a_long_collection_is_kept_with_its_moment_so_an_xrun_in_it_can_say_so():
    ticks = iter([10.0, 10.005, 20.0, 20.0001])            # a 5 ms collection, then a 0.1 ms one
    pauses = GcPauses(clock=lambda: next(ticks))
    for _ in range(2):
        pauses._callback("start", {})
        pauses._callback("stop", {})
    assert pauses.long == 1 and pauses.longest_s == pytest.approx(0.005)
    assert pauses.held_during(9.0, 10.001) and pauses.held_during(10.004, 11.0)
    assert not pauses.held_during(10.006, 20.5)            # the short one is not a cause


def test_thousands_of_cycles_take_a_collection_long_enough_to_count():
    pauses = GcPauses().install()
    try:
        garbage = [Cycle() for _ in range(200_000)]
        del garbage
        started = time.perf_counter()
        gc.collect()
        took = time.perf_counter() - started
    finally:
        pauses.remove()
    assert pauses.longest_s <= took and pauses.longest_s > 0.5 * took
