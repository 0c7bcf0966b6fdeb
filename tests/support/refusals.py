"""Shared checks of the bad-file tables: every hostile file is refused with its
own one-line message that says what was wrong and where."""

import pytest

from pedal.core import Model, ModelError


def assert_refused(name, data, fragments) -> str:
    """Loads ``data``, expects a ModelError whose one-line message holds every fragment; returns it."""
    with pytest.raises(ModelError) as caught:
        Model.from_json(data)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    for fragment in fragments:
        assert fragment in message, f"{name}: {fragment!r} not in {message!r}"
    return message


def assert_distinct_messages(cases) -> None:
    """No two rows of a table may be refused with the same words."""
    messages = [assert_refused(name, data, ()) for name, data, _ in cases]
    assert len(set(messages)) == len(messages)
    assert len({name for name, _, _ in cases}) == len(cases)
