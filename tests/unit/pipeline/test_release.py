"""Revisions never hold secret values in plaintext, yet restore them exactly for a rollback."""

from __future__ import annotations

import base64

from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Secret

from justpush import k8s
from justpush.pipeline._release import restore_secrets, split_secrets


def _objects() -> list[k8s.Manifest]:
    return [
        ConfigMap(metadata=ObjectMeta(name="app-env", namespace="ns"), data={"LOG_LEVEL": "info"}),
        Secret(
            metadata=ObjectMeta(name="app-secret", namespace="ns"),
            type="Opaque",
            data={"DB_PASSWORD": base64.b64encode(b"hunter2").decode()},
        ),
        Secret(
            metadata=ObjectMeta(name="pull", namespace="ns"), type="Opaque", stringData={"token": "s3cr3t"}
        ),
    ]


def test_split_blanks_every_secret_value() -> None:
    blanked, values = split_secrets(_objects())
    text = k8s.dump_yaml(blanked)
    assert "hunter2" not in text and base64.b64encode(b"hunter2").decode() not in text
    assert "s3cr3t" not in text
    assert "LOG_LEVEL" in text and "DB_PASSWORD" in text
    assert values == {
        "manifest:app-secret/data/DB_PASSWORD": base64.b64encode(b"hunter2").decode(),
        "manifest:pull/stringData/token": "s3cr3t",
    }


def test_restore_round_trips_through_yaml() -> None:
    original = _objects()
    blanked, values = split_secrets(original)
    restored = restore_secrets(k8s.load_yaml(k8s.dump_yaml(blanked)), values)
    assert k8s.dump_yaml(restored) == k8s.dump_yaml(original)
