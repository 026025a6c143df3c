"""Issue 11 item 13: `justpush config show` never prints credentials embedded in URL-valued settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from justpush.cli import app
from justpush.config import mask_url_credentials

SECRETS = ["s3cret-kong", "s3cret-db", "s3cret-registry", "ghp_t0ken", "s3cret-gw"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "server": {"dataDir": str(tmp_path / "data")},
                "database": {"url": "postgresql://justpush:s3cret-db@db.example:5432/justpush"},
                "containerRegistry": {"url": "https://robot:s3cret-registry@registry.example/v2"},
                "kong": {
                    "adminUrl": "http://admin:s3cret-kong@kong.example:8001",
                    "gatewayUrl": "https://user:s3cret-gw@gw.example",
                },
                "gateway": {"cors": {"origins": ["https://ghp_t0ken@app.example"]}},
            }
        )
    )
    return path


@pytest.mark.parametrize("output", [[], ["--json"]])
def test_config_show_masks_url_credentials(config: Path, output: list[str]) -> None:
    result = CliRunner().invoke(app, ["--config", str(config), "config", "show", *output])
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.stdout
    shown = json.loads(result.stdout) if output else yaml.safe_load(result.stdout)
    assert shown["kong"]["adminUrl"] == "http://admin:********@kong.example:8001"
    assert shown["database"]["url"] == "postgresql://justpush:********@db.example:5432/justpush"
    assert shown["containerRegistry"]["url"] == "https://robot:********@registry.example/v2"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("http://u:p@h", "http://u:********@h"),
        ("https://token@h/x@y", "https://********@h/x@y"),
        ("https://h/@scope/pkg", "https://h/@scope/pkg"),
        ("postgresql+psycopg://u:p%40ss@h:5/d?x=1", "postgresql+psycopg://u:********@h:5/d?x=1"),
        ("http://u:p@ss@h/", "http://u:********@h/"),
        ("not a url: a@b", "not a url: a@b"),
        ("", ""),
    ],
)
def test_mask_url_credentials(value: str, shown: str) -> None:
    assert mask_url_credentials(value) == shown
