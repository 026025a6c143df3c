"""TreePlan: the pure checks every upload goes through before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from justpush.errors import UploadError, UploadTooLargeError
from justpush.uploads import TreePlan
from justpush.uploads._tree import MAX_LINK_HOPS


def plan_with_links(links: dict[str, str], files: tuple[str, ...] = ()) -> TreePlan:
    plan = TreePlan(max_entries=10_000)
    for name in files:
        plan.claim(name, "file")
    for name, target in links.items():
        plan.add_link(name, target)
    return plan


@pytest.mark.parametrize(
    ("links", "resolved"),
    [
        ({"a": "conf/x"}, {"a": "conf/x"}),
        ({"d/up": "..", "d/cfg": "up/conf"}, {"d/up": "", "d/cfg": "conf"}),
        ({"s": "conf", "t": "s/x"}, {"t": "conf/x"}),
    ],
)
def test_links_resolve_inside(links: dict[str, str], resolved: dict[str, str]) -> None:
    plan = plan_with_links(links, files=("conf/x",))
    plan.check_links()
    for name, where in resolved.items():
        assert plan.resolve(name, links[name]) == where


@pytest.mark.parametrize(
    "links",
    [
        {"d/up": "..", "d/out": "up/../x"},
        {"p/q": "..", "p/l": "q/.."},
        {"a": "b", "b": "a"},
    ],
)
def test_links_leaving_the_tree_or_looping_refused(links: dict[str, str]) -> None:
    with pytest.raises(UploadError) as info:
        plan_with_links(links).check_links()
    assert info.value.details["reason"] == "unsafe_link"


def test_link_resolution_is_bounded_in_total_hops(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each level names the one below hundreds of times: exponential if hops were counted per level.
    links = {"l0": "."}
    for level in range(1, 30):
        links[f"l{level}"] = "/".join([f"l{level - 1}"] * 600)[:2000].rstrip("/")
    plan = plan_with_links(links)
    # Work is counted, not timed: every link's resolution follows at most MAX_LINK_HOPS links.
    budget = len(links) * (MAX_LINK_HOPS + 1)
    walks = 0
    walk = plan._walk

    def counted(*args: Any) -> list[str]:
        nonlocal walks
        walks += 1
        assert walks <= budget, "link resolution is not bounded in total hops"
        return walk(*args)

    monkeypatch.setattr(plan, "_walk", counted)
    with pytest.raises(UploadError, match="loop"):
        plan.check_links()


@pytest.mark.parametrize("order", [("l", "l/x"), ("l/x", "l")])
def test_nothing_below_a_link_in_either_order(order: tuple[str, str]) -> None:
    plan = TreePlan(max_entries=100)
    with pytest.raises(UploadError):
        for name in order:
            if name == "l":
                plan.add_link("l", ".")
            else:
                plan.claim(name, "file")


def test_implied_folders_are_entries() -> None:
    plan = TreePlan(max_entries=3)
    plan.claim("a/b/c", "file")
    assert (plan.entries, plan.files) == (3, 1)
    with pytest.raises(UploadTooLargeError):
        plan.claim("a/d", "file")
