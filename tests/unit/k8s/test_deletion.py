"""What a delete says it waits for: pods terminating first, then the objects still going."""

from __future__ import annotations

from justpush.k8s import deletion_wait_message


def test_pods_terminating_are_counted_and_named() -> None:
    left = [("Pod", "shop-7d9-b"), ("Pod", "shop-7d9-a"), ("ReplicaSet", "shop-7d9")]
    assert deletion_wait_message(left) == (
        "waiting for 2 pods to terminate (shop-7d9-a, shop-7d9-b) and 1 object to go (ReplicaSet/shop-7d9)"
    )


def test_one_pod_left() -> None:
    assert deletion_wait_message([("Pod", "shop-1")]) == "waiting for 1 pod to terminate (shop-1)"


def test_objects_without_pods() -> None:
    left = [("Service", "shop"), ("Deployment", "shop")]
    assert deletion_wait_message(left) == "waiting for 2 objects to go (Deployment/shop, Service/shop)"


def test_long_lists_are_cut_with_a_count() -> None:
    left = [("Pod", f"shop-{n}") for n in range(5)]
    assert deletion_wait_message(left) == (
        "waiting for 5 pods to terminate (shop-0, shop-1, shop-2 and 2 more)"
    )
