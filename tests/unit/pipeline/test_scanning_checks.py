"""SCANNING's checks before the build: every failure said at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from justpush.errors import AnalysisError, GenerationError, StageFailed
from justpush.pipeline.flows._deploy import all_problems


def _fails(error: Exception) -> Callable[[], object]:
    def check() -> None:
        raise error

    return check


def test_one_failure_is_raised_as_it_is() -> None:
    error = GenerationError("required environment variables have no value: DATABASE_URL")
    with pytest.raises(GenerationError) as raised:
        all_problems([lambda: None, _fails(error), lambda: None])
    assert raised.value is error


def test_several_failures_are_one_message_naming_each() -> None:
    with pytest.raises(StageFailed) as raised:
        all_problems(
            [
                _fails(GenerationError("required environment variables have no value: SECRET_KEY")),
                lambda: None,
                _fails(AnalysisError("Flask 2.0.1 imports url_quote, which Werkzeug 3 removed")),
            ]
        )
    assert raised.value.message == (
        "SCANNING: 2 things stop this deploy:\n"
        "- required environment variables have no value: SECRET_KEY\n"
        "- Flask 2.0.1 imports url_quote, which Werkzeug 3 removed"
    )
    assert len(raised.value.details["problems"]) == 2


def test_no_failure_raises_nothing() -> None:
    all_problems([lambda: None, lambda: 3])
