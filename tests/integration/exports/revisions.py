"""Stored revisions as a deployment leaves them, without a cluster: what the GitOps export reads."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from justpush import k8s, kong, store
from justpush.analysis import EnvVar, ProjectProfile
from justpush.config import Settings
from justpush.pipeline import DeployOptions
from justpush.pipeline._release import Release, revision_payload
from justpush.store import Cipher

SECRET = "db-password-value-42"
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Orders", "version": "1.0.0"},
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "apikey"}}},
    "security": [{"key": []}],
    "paths": {"/orders": {"get": {"operationId": "list", "responses": {"200": {"description": "ok"}}}}},
}
CLUSTER = k8s.ClusterInfo(
    server_version="v1.20.15",
    hpa_api_version="autoscaling/v2beta2",
    pdb_api_version="policy/v1beta1",
    metrics_api=False,
)


async def add_revision(app: FastAPI, upload_id: str, replicas: int) -> store.DeploymentRevision:
    state = app.state.justpush
    return await store_revision(state.sessions, state.secret_box, state.settings, upload_id, replicas)


async def store_revision(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    settings: Settings,
    upload_id: str,
    replicas: int,
) -> store.DeploymentRevision:
    """What a deployment stores: the manifests with Secret values blanked, sealed values, Kong inputs."""
    profile = ProjectProfile(
        language="python",
        framework="fastapi",
        port=8000,
        env_vars=(EnvVar("DB_PASSWORD", secret=True, required=True),),
    )
    release = Release(
        app_name="orders",
        profile=profile,
        spec=SPEC,
        image="registry.example/orders@sha256:" + "a" * 64,
        options=DeployOptions(secrets={"DB_PASSWORD": SECRET}, replicas=replicas, autoscaling=False),
        upload_id=upload_id,
    )
    objects = release.manifests(settings, CLUSTER)
    text, sealed = revision_payload(release, objects)
    target = kong.KongTarget(
        upload_id=upload_id, name="orders", namespace=release.namespace(settings), port=80
    )
    options = kong.KongOptions.from_settings(settings.gateway)
    async with sessions() as session:
        upload = await store.get_upload(session, upload_id, owner_id=None)
        revision = await store.add_revision(
            session,
            cipher,
            upload_id=upload_id,
            image=release.image,
            image_digest=release.image.rpartition("@")[2],
            env={},
            secret_env=sealed,
            replicas=replicas,
            resources={},
            manifests=text,
            kong_config={
                "target": target.model_dump(mode="json"),
                "options": options.model_dump(mode="json"),
            },
            release=release.to_record(),
            created_by=upload.owner_id,
        )
        await session.commit()
        return revision


async def add_upload(app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    async with app.state.justpush.sessions() as session:
        me = (await client.get("/users/me", headers=auth)).json()
        upload = await store.add_upload(
            session,
            upload_id="u" + secrets.token_hex(5),
            owner_id=me["id"],
            source_kind="zip",
            workspace="/w",
            files=1,
            size_bytes=10,
        )
        await session.commit()
        return upload.id
