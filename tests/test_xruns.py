"""pedal.xruns: each xrun's cause, told from what the audio thread saw, and its moment."""

import pytest

from pedal.xruns import CAPTURE, PLAYBACK, STREAM, XrunAccount, XrunLog, moment_of, steal_ticks

RATE, PERIOD = 48000, 64
PERIOD_S = PERIOD / RATE


@pytest.fixture
def notes():
    log = XrunLog(RATE, PERIOD, buffered=2)
    log.start_thread()
    return log


def test_an_audio_thread_on_time_blames_the_device(notes):
    notes.note(PLAYBACK, 4800, gap_s=PERIOD_S * 0.9, busy_s=PERIOD_S * 0.05)
    [xrun] = notes.take()
    assert (xrun.at_s, xrun.side, xrun.cause) == (0.1, "playback", "device")


def test_a_period_processed_for_longer_than_a_period_is_over_budget(notes):
    notes.note(PLAYBACK, 0, gap_s=0.0, busy_s=PERIOD_S * 1.2)
    assert notes.take()[0].cause == "over budget"


def test_a_late_audio_thread_is_a_machine_stall_when_the_steal_time_rose_and_late_otherwise(notes):
    notes.note(CAPTURE, 0, gap_s=PERIOD_S * 3, busy_s=0.0)
    notes.note(STREAM, 96000, gap_s=2.0, busy_s=0.0)
    assert [x.cause for x in notes.take(stolen=True)] == ["machine stall"] * 2
    notes.note(CAPTURE, 0, gap_s=PERIOD_S * 3, busy_s=0.0)
    [xrun] = notes.take()
    assert (xrun.side, xrun.cause) == ("capture", "late")


def test_a_late_audio_thread_blames_a_long_garbage_collection_that_overlapped_its_wait(notes):
    import time
    collections = []                            # the spans of long collections, perf_counter seconds
    held = lambda start, end: any(b < end and e > start for b, e in collections)   # noqa: E731
    began = time.perf_counter()
    collections.append((began, began + PERIOD_S * 2))
    time.sleep(PERIOD_S * 3)
    notes.note(CAPTURE, 0, gap_s=time.perf_counter() - began, busy_s=0.0)
    time.sleep(PERIOD_S * 4)
    notes.note(CAPTURE, 0, gap_s=PERIOD_S * 3, busy_s=0.0)      # its wait began after the collection
    notes.note(PLAYBACK, 0, gap_s=0.0, busy_s=PERIOD_S * 4)     # over budget of its own
    time.sleep(PERIOD_S * 4)
    collections.append((time.perf_counter() - PERIOD_S / 2, time.perf_counter()))
    notes.note(PLAYBACK, 0, gap_s=0.0, busy_s=PERIOD_S * 4)     # a collection ran inside its processing
    assert [x.cause for x in notes.take(collected=held)] == ["garbage collection", "late", "over budget",
                                                              "garbage collection"]


def test_the_slack_follows_the_period_the_device_gave(notes):
    notes.retime(128)
    notes.note(PLAYBACK, 0, gap_s=PERIOD_S * 3, busy_s=0.0)  # 1.5 periods of 128: within the buffer
    assert notes.take()[0].cause == "device"


def test_each_xrun_is_taken_once_and_a_flood_keeps_the_latest(notes):
    for frame in range(300):
        notes.note(PLAYBACK, frame * RATE, 0.0, 0.0)
    taken = notes.take()
    assert len(taken) == 256 and taken[-1].at_s == 299.0 and notes.take() == []


def test_moments_are_the_first_second_a_change_and_steady():
    assert moment_of(0.31, None) == "first second"
    assert moment_of(12.0, 0.4) == "change"
    assert moment_of(12.0, 3.0) == moment_of(12.0, None) == "steady"


def test_the_account_counts_by_cause_and_moment_and_says_so_in_one_phrase(notes):
    account = XrunAccount()
    assert account.describe() == "0 in the first second, 0 after"
    notes.note(CAPTURE, 100, PERIOD_S * 9, 0.0)
    notes.note(PLAYBACK, 5 * RATE, PERIOD_S, 0.0)
    for xrun, moment in zip(notes.take(), ("first second", "steady")):
        account.add(xrun, moment)
    assert account.describe() == "1 in the first second, 1 after; device 1, late 1"
    status = account.as_status()
    assert status["by_cause"] == {"device": 1, "late": 1} and len(status["last"]) == 2


def test_the_steal_time_is_read_from_proc_stat():
    assert steal_ticks() >= 0
