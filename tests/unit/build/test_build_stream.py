"""What the build client reads from the legacy builder's stream: the image each FROM started from."""

from __future__ import annotations

from justpush.build.client import _BuildState, _consume


def _fold(lines: list[str]) -> _BuildState:
    state = _BuildState()
    for line in lines:
        _consume({"stream": f"{line}\n"}, state, None)
    return state


def test_the_image_a_stage_ended_as_is_kept_by_the_name_a_later_from_uses() -> None:
    state = _fold(
        [
            "Step 1/6 : FROM node:18-slim AS deps",
            " ---> 4b17e853e97e",
            "Step 2/6 : RUN npm ci",
            " ---> Using cache",
            " ---> 430d6dc4c36f",
            "Step 3/6 : FROM deps AS compile",
            " ---> 430d6dc4c36f",
            "Step 4/6 : RUN node .justpush/transpile.cjs",
            " ---> Running in 061d3c0f5132",
            "Removing intermediate container 061d3c0f5132",
            " ---> 6b952f214f7f",
            "Step 5/6 : FROM --platform=linux/amd64 Compile AS build",
            " ---> 6b952f214f7f",
            "Step 6/6 : RUN rm -rf node_modules",
            " ---> Running in 137666fed911",
            " ---> 66385ca0de61",
        ]
    )
    assert state.stages == {"node:18-slim": "4b17e853e97e", "deps": "430d6dc4c36f", "compile": "6b952f214f7f"}


def test_a_from_whose_image_line_never_comes_names_nothing() -> None:
    # An error right after the FROM (an image that cannot be found): no id follows it.
    state = _fold(["Step 1/2 : FROM missing AS base", " ---> Running in 061d3c0f5132", " ---> 6b952f214f7f"])
    assert state.stages == {}
