"""decK output against Kong's JSON schema, and the KIC resources."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator
from pydantic import SecretStr

from justpush.errors import GenerationError
from justpush.kong import (
    Developer,
    JwtKey,
    KongOptions,
    KongTarget,
    openapi_to_kong,
    to_deck,
    to_declarative,
    to_kic,
)
from tests.unit.kong.kong_helpers import make_spec

SPEC = make_spec(
    {
        "/users/{id}": {"get": {"operationId": "getUser"}, "delete": {"security": []}},
        "/users/me": {"get": {"operationId": "me", "x-justpush-rate-limit": {"minute": 3}}},
        "/login": {"post": {"security": [{"key": []}, {"bearer": []}]}},
    },
    security=[{"key": []}],
    components={
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "bearer": {"type": "http", "scheme": "bearer"},
        }
    },
)
DEVELOPERS = (
    Developer(
        username="alice",
        api_key=SecretStr("alice-key"),
        jwt=JwtKey(key="alice-iss", secret=SecretStr("s3cret")),
    ),
    Developer(username="bob", basic_password=SecretStr("pw")),
)


@pytest.fixture
def config(target: KongTarget) -> Any:
    return openapi_to_kong(SPEC, target, KongOptions(developers=DEVELOPERS))


def test_deck_validates_against_kong_schema(config: Any, deck_schema: dict[str, Any]) -> None:
    document = to_deck(config)
    errors = sorted(Draft4Validator(deck_schema).iter_errors(document), key=str)
    assert not errors, errors[0].message
    assert document["_format_version"] == "3.0"
    service = document["services"][0]
    assert len(service["routes"]) == 4
    assert {p["name"] for p in service["plugins"]} == {"cors", "rate-limiting", "request-transformer"}
    consumer = next(c for c in document["consumers"] if c["username"] == "petstore_alice")
    assert consumer["keyauth_credentials"][0]["key"] == "alice-key"
    assert consumer["jwt_secrets"][0]["secret"] == "s3cret"
    (termination,) = document["plugins"]
    assert termination["name"] == "request-termination"
    assert termination["consumer"] == next(
        c["id"] for c in document["consumers"] if c["username"].endswith("_anonymous")
    )


def test_deck_schema_catches_a_broken_document(config: Any, deck_schema: dict[str, Any]) -> None:
    document = to_deck(config)
    document["services"][0]["routes"][0]["pathz"] = ["/x"]
    assert list(Draft4Validator(deck_schema).iter_errors(document))


def test_declarative_merges_uploads(config: Any, target: KongTarget, deck_schema: dict[str, Any]) -> None:
    other = openapi_to_kong(SPEC, KongTarget(upload_id="u2", name="other", port=80), KongOptions())
    document = to_declarative([other, config])
    assert [s["name"] for s in document["services"]] == ["other", "petstore"]
    assert not list(Draft4Validator(deck_schema).iter_errors(document))


def test_kic_resources(config: Any, target: KongTarget) -> None:
    objects = to_kic(config, "apps", target)
    kinds = [o["kind"] for o in objects]
    assert kinds == sorted(kinds, key=["Secret", "KongConsumer", "KongPlugin", "Ingress"].index)
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    assert len(ingresses) == 4
    by_path = {i["spec"]["rules"][0]["http"]["paths"][0]["path"]: i for i in ingresses}
    user = by_path["/~/petstore-u1(?<jp_path>/users/(?<id>[^#?/]+))$"]
    assert user["apiVersion"] == "networking.k8s.io/v1"
    assert user["spec"]["ingressClassName"] == "kong"
    backend = user["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["pathType"] == "ImplementationSpecific"
    assert backend["backend"]["service"] == {"name": "petstore", "port": {"number": 8080}}
    annotations = user["metadata"]["annotations"]
    assert annotations["konghq.com/strip-path"] == "false"
    assert annotations["konghq.com/methods"] in ("GET,OPTIONS", "DELETE")
    plugin_names = {o["metadata"]["name"]: o for o in objects if o["kind"] == "KongPlugin"}
    for ingress in ingresses:
        attached = ingress["metadata"]["annotations"].get("konghq.com/plugins", "").split(",")
        assert all(name in plugin_names for name in attached if name)
        assert sum(1 for n in attached if plugin_names[n]["plugin"] == "rate-limiting") == 1
        assert ingress["metadata"]["labels"]["justpush.io/upload-id"] == "u1"
    secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
    key_secret = secrets["petstore.alice-key-auth"]
    assert key_secret["metadata"]["labels"]["konghq.com/credential"] == "key-auth"
    assert key_secret["stringData"] == {"key": "alice-key"}
    consumers = {o["username"]: o for o in objects if o["kind"] == "KongConsumer"}
    assert sorted(consumers["petstore_alice"]["credentials"]) == [
        "petstore.alice-acl",
        "petstore.alice-jwt",
        "petstore.alice-key-auth",
    ]
    acl_secret = secrets["petstore.alice-acl"]
    assert acl_secret["metadata"]["labels"]["konghq.com/credential"] == "acl"
    assert acl_secret["stringData"] == {"group": "justpush-upload-u1"}
    # OR-auth falls back to the anonymous consumer, which must pass the acl to reach the 401 termination.
    assert consumers["petstore_anonymous"]["credentials"] == ["petstore.anonymous-acl"]
    anonymous = consumers["petstore_anonymous"]
    termination = anonymous["metadata"]["annotations"]["konghq.com/plugins"]
    assert plugin_names[termination]["plugin"] == "request-termination"
    login = next(i for i in ingresses if "login" in i["metadata"]["name"])
    assert termination in login["metadata"]["annotations"]["konghq.com/plugins"].split(",")
    key_auth = plugin_names[
        next(
            n
            for n in login["metadata"]["annotations"]["konghq.com/plugins"].split(",")
            if plugin_names[n]["plugin"] == "key-auth"
        )
    ]
    assert key_auth["config"]["anonymous"] == "petstore_anonymous"


def test_kic_needs_a_kubernetes_service(target: KongTarget) -> None:
    config = openapi_to_kong(
        SPEC, KongTarget(upload_id="u1", name="x", url="http://10.1.2.3:80"), KongOptions()
    )
    with pytest.raises(GenerationError, match="Kubernetes Service"):
        to_kic(config, "apps")
    assert to_kic(openapi_to_kong(SPEC, target, KongOptions()), "apps")
