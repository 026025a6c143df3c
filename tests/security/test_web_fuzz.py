"""Issue 11, "Also": bounded fuzzing of the API with schemathesis, in process: no input gives a 5xx.

Every operation of the app's own OpenAPI document gets a bounded number of generated requests, valid ones
and ones that break the schema, made with
a valid token against an existing upload (so they pass authentication and reach the route's own code).
Two operations are left out because they take the token or the upload away from the others; the
authorization matrix covers them.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from justpush import security, store
from justpush.config import Settings
from justpush.web import create_app

from .web_support import FLASK_APP

EXAMPLES_PER_OPERATION = 8
DESTRUCTIVE = ["DELETE /tokens/current", "DELETE /uploads/{upload_id}"]


class FuzzTarget:
    def __init__(self, root: Path) -> None:
        self.settings = Settings.model_validate(
            {
                "server": {"dataDir": str(root / "data"), "worker": "none"},
                "database": {"url": f"sqlite:///{(root / 'fuzz.db').as_posix()}"},
                "deployment": {"enabled": True},
                "kubernetes": {"kubeconfig": str(root / "no-kubeconfig")},
            }
        )
        workspace = root / "data" / "workspaces" / "fuzz"
        workspace.mkdir(parents=True)
        (workspace / "app.py").write_bytes(FLASK_APP)
        self.upload_id = "u" + secrets.token_hex(5)
        self.token = anyio.run(self._seed, workspace)
        self.app = create_app(self.settings)
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", self.app)

    async def _seed(self, workspace: Path) -> str:
        await anyio.to_thread.run_sync(store.upgrade, self.settings.database_url)
        engine = store.create_engine(self.settings.database_url)
        try:
            async with store.session_factory(engine)() as session:
                user = await store.create_user(session, "fuzzer")
                token = await security.issue_token(session, user)
                await store.add_upload(
                    session,
                    upload_id=self.upload_id,
                    owner_id=user.id,
                    source_kind="zip",
                    workspace=str(workspace),
                    files=1,
                    size_bytes=len(FLASK_APP),
                )
                await session.commit()
                return token
        finally:
            await engine.dispose()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    root = tmp_path_factory.mktemp("fuzz")
    yield FuzzTarget(root)
    shutil.rmtree(root, ignore_errors=True)


def operations() -> list[str]:
    """Labels ("GET /uploads") of the operations to fuzz, from the app's own OpenAPI document."""
    document = create_app(Settings()).openapi()
    labels = [f"{m.upper()} {p}" for p, item in document["paths"].items() for m in item]
    return [label for label in labels if label not in DESTRUCTIVE]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", operations())
@pytest.mark.timeout(120)
def test_no_input_gives_a_server_error(target: FuzzTarget, label: str, mode: GenerationMode) -> None:
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {target.token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if "upload_id" in (case.path_parameters or {}):
            case.path_parameters["upload_id"] = target.upload_id
        if label.endswith("/events"):
            # A following event stream ends only when its client leaves.
            case.query = {**(case.query or {}), "follow": "false"}
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        # Negative mode: an operation without parameters or body has no invalid input to send.
        assert mode is GenerationMode.NEGATIVE
        assert not operation.path_parameters and not operation.query and not operation.body
