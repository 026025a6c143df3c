"""The browser UI under `/ui`: HTML shells rendered from Jinja2 templates, plus static JS and CSS.

The pages hold no data: the script exchanges an API token for a session cookie (`POST /session`)
and calls the REST API with it, so the UI can do exactly what the API allows and nothing more.
"""

from __future__ import annotations

from typing import Annotated

import jinja2
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import justpush

router = APIRouter(include_in_schema=False)

_templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("justpush.web", "ui/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
_static = StaticFiles(packages=[("justpush.web", "ui/static")])

# The pages load nothing but their own script and stylesheet, and talk to nothing but this server.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

UploadId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def _page(request: Request, template: str, **context: str) -> Response:
    return _templates.TemplateResponse(
        request, template, {"version": justpush.__version__, **context}, headers=_SECURITY_HEADERS
    )


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui")
async def uploads_page(request: Request) -> Response:
    return _page(request, "uploads.html", page="uploads", title="Uploads")


@router.get("/ui/uploads/{upload_id}")
async def upload_page(request: Request, upload_id: UploadId) -> Response:
    return _page(request, "upload.html", page="upload", title=f"Upload {upload_id}", upload_id=upload_id)


@router.get("/ui/static/{path:path}")
async def static(request: Request, path: str) -> Response:
    response = await _static.get_response(path, request.scope)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Modules import each other without the version query: revalidate (ETag) rather than guess freshness.
    response.headers["Cache-Control"] = "no-cache"
    return response
