from __future__ import annotations

import pytest
from pydantic import ValidationError

from justpush.pipeline import DeployOptions, RedeployOptions


def test_public_hides_secret_values() -> None:
    options = DeployOptions(env={"LOG_LEVEL": "debug"}, secrets={"DB_PASSWORD": "hunter2"})
    public = options.public()
    assert "hunter2" not in str(public)
    assert public["secret_names"] == ["DB_PASSWORD"]
    assert "hunter2" not in repr(options)
    restored = DeployOptions.from_stored(public, {"DB_PASSWORD": "hunter2"})
    assert restored == options


@pytest.mark.parametrize("name", ["1BAD", "WITH-DASH", "", "A B"])
def test_invalid_env_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid environment variable names"):
        DeployOptions(env={name: "x"})
    with pytest.raises(ValidationError, match="invalid environment variable names"):
        RedeployOptions(secrets={name: "x"})


def test_a_name_cannot_be_both_env_and_secret() -> None:
    with pytest.raises(ValidationError, match="both env and secret: TOKEN"):
        DeployOptions(env={"TOKEN": "a"}, secrets={"TOKEN": "b"})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        DeployOptions.model_validate({"replica": 2})
