"""A generated Python start command runs gunicorn or uvicorn: a project that does not declare the
server (a Django tutorial run with `manage.py runserver`) gets it installed into the image's venv."""

from __future__ import annotations

from pathlib import Path

import pytest

from justpush.analysis import detect
from justpush.build import DockerfileOptions, render_dockerfile


def _django_app(root: Path, requirements: str) -> Path:
    (root / "requirements.txt").write_text(requirements)
    (root / "manage.py").write_text(
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_conf.settings')\n"
        "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n"
    )
    (root / "site_conf").mkdir()
    (root / "site_conf" / "__init__.py").write_text("")
    (root / "site_conf" / "settings.py").write_text("ROOT_URLCONF = 'site_conf.urls'\nINSTALLED_APPS = []\n")
    (root / "site_conf" / "urls.py").write_text(
        "from django.http import JsonResponse\nfrom django.urls import path\n\n"
        "urlpatterns = [path('ping/', lambda request: JsonResponse({}))]\n"
    )
    (root / "site_conf" / "wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    return root


@pytest.mark.parametrize(
    ("requirements", "servers"),
    [
        ("Django>=4.2,<5\n", ("gunicorn>=22,<24",)),
        ("Django>=4.2,<5\ngunicorn==23.0.0\n", ()),
    ],
)
def test_an_undeclared_server_is_installed(
    tmp_path: Path, options: DockerfileOptions, requirements: str, servers: tuple[str, ...]
) -> None:
    profile = detect(_django_app(tmp_path, requirements))
    assert profile.start_command[0] == "gunicorn"
    assert profile.server_packages == servers
    dockerfile = render_dockerfile(profile, options).dockerfile
    assert ("RUN pip install --no-cache-dir 'gunicorn>=22,<24'" in dockerfile) is bool(servers)
    # Installed after the requirements and before the venv is slimmed.
    install = dockerfile.index("pip install --no-cache-dir -r requirements.txt")
    assert all(dockerfile.index(line) > install for line in dockerfile.splitlines() if "'gunicorn" in line)


def test_included_requirement_files_are_copied_before_the_install(
    tmp_path: Path, options: DockerfileOptions
) -> None:
    # Heroku-style layout: requirements.txt only includes a file that includes another.
    _django_app(tmp_path, "# see requirements/\n-r requirements/prod.txt\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "prod.txt").write_text("-r common.txt\n--constraint=../constraints.txt\n")
    (tmp_path / "requirements" / "common.txt").write_text("Django>=4.2,<5\ngunicorn==23.0.0\n")
    (tmp_path / "constraints.txt").write_text("sqlparse<1\n")
    profile = detect(tmp_path)
    assert set(profile.dependency_files) >= {
        "requirements.txt",
        "requirements/prod.txt",
        "requirements/common.txt",
        "constraints.txt",
    }
    # gunicorn is declared, in the included file.
    assert profile.server_packages == ()
    dockerfile = render_dockerfile(profile, options).dockerfile
    copies = dockerfile.index("COPY requirements/common.txt requirements/prod.txt ./requirements/")
    assert copies < dockerfile.index("pip install --no-cache-dir -r requirements.txt")
