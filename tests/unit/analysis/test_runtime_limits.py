"""Exact pins of releases in analysis/runtime_limits.yaml become the profile's runtime_limits: read from
requirement files (and what they include), pyproject.toml, Pipfile, the Python and Node lockfiles and
package.json; a range never limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import Evidence, apply_overrides, detect, profile_from_dict, profile_to_dict
from justpush.errors import AnalysisError
from tests.unit.analysis.spec_summary import APPS

Limit = tuple[str, str, str, Evidence]


def _limits(root: Path) -> list[Limit]:
    return [(r.package, r.version, r.breaks, r.evidence) for r in detect(root).runtime_limits]


def test_fixture_pins_django_110_in_an_included_requirements_file() -> None:
    profile = detect(APPS / "python-django-old-pins")
    assert [(r.package, r.version, r.breaks, r.evidence) for r in profile.runtime_limits] == [
        ("django", "1.10.5", "3.10", Evidence("requirements/prod.txt", 1, "exact pin"))
    ]
    (limit,) = profile.runtime_limits
    assert "collections" in limit.why and "Python 3.10" in limit.source
    # The profile survives its JSON form (stored with the upload, returned by the API).
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile


def test_fixture_node_sass_locked_by_package_lock() -> None:
    assert _limits(APPS / "node-express-old-native") == [
        ("node-sass", "4.13.1", "14", Evidence("package-lock.json", 10, "locked"))
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Ranges, wildcards and unknown packages never limit.
        ({"requirements.txt": "Django>=1.8\npsycopg2~=2.7.0\nDjango==1.10.*\nflask==0.12\n"}, []),
        (
            {"requirements.txt": "psycopg2==2.7.3  # heroku\n"},
            [("psycopg2", "2.7.3", "3.8", Evidence("requirements.txt", 1, "exact pin"))],
        ),
        # A pin for some environments only says nothing of the one the image has.
        ({"requirements.txt": "Django==1.11; python_version<'3'\nDjango==3.2; python_version>='3'\n"}, []),
        (
            {"requirements.txt": "psycopg2-binary===2.8.5\n"},
            [("psycopg2-binary", "2.8.5", "3.9", Evidence("requirements.txt", 1, "exact pin"))],
        ),
        (
            {"requirements.txt": "numpy==1.22.4\npandas==2.2.3\nlxml==4.9.4\nPillow==9.5.0\n"},
            [
                ("lxml", "4.9.4", "3.13", Evidence("requirements.txt", 3, "exact pin")),
                ("numpy", "1.22.4", "3.11", Evidence("requirements.txt", 1, "exact pin")),
                ("pillow", "9.5.0", "3.12", Evidence("requirements.txt", 4, "exact pin")),
            ],
        ),
        # A psycopg2-binary release with a wheel for every served line does not limit.
        ({"requirements.txt": "psycopg2-binary==2.9.10\n"}, []),
        (
            {"pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.8"\n'
             'Django = "2.0.13"\n'},
            [("django", "2.0.13", "3.10", Evidence("pyproject.toml", 5, "exact pin"))],
        ),
        (
            {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["django>=1.10"]\n',
             "poetry.lock": '[[package]]\nname = "asgiref"\nversion = "3.8.1"\n\n'
             '[[package]]\nname = "Django"\nversion = "1.11.29"\n'},
            [("django", "1.11.29", "3.10", Evidence("poetry.lock", 6, "locked"))],
        ),
        # A development tool's lock entry does not count: the image installs the runtime dependencies.
        (
            {
                "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.8"\nflask = "^2"\n'
                '[tool.poetry.group.dev.dependencies]\ndjango = "^1.10"\n',
                "poetry.lock": '[[package]]\nname = "django"\nversion = "1.10.8"\n',
            },
            [],
        ),
        (
            {
                "Pipfile": '[packages]\npsycopg2 = "*"\n',
                "Pipfile.lock": json.dumps({"default": {"psycopg2": {"version": "==2.7.7"}}}, indent=1),
            },
            [("psycopg2", "2.7.7", "3.8", Evidence("Pipfile.lock", 3, "locked"))],
        ),
        (
            {"Pipfile": '[packages]\ndjango = "==1.9.13"\n', "Pipfile.lock": json.dumps(
                {"default": {"django": {"version": "==1.9.13"}}}, indent=1)},
            [("django", "1.9.13", "3.10", Evidence("Pipfile", 2, "exact pin"))],
        ),
    ],
)  # fmt: skip
def test_python_pins(tmp_path: Path, files: dict[str, str], expected: list[Limit]) -> None:
    for name, text in {"app.py": "from flask import Flask\napp = Flask(__name__)\n", **files}.items():
        (tmp_path / name).write_text(text)
    assert _limits(tmp_path) == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"package.json": {"dependencies": {"node-sass": "^4.13.0"}}}, []),
        (
            {"package.json": {"devDependencies": {"node-sass": "=4.12.0"}}},
            [("node-sass", "4.12.0", "14", Evidence("package.json", 1, "exact pin"))],
        ),
        (
            {
                "package.json": {"dependencies": {"node-sass": "^7.0.0"}},
                "yarn.lock": '# yarn lockfile v1\n\n\n"node-sass@^7.0.0", node-sass@^7.0.1:\n'
                '  version "7.0.3"\n  resolved "x"\n',
            },
            [("node-sass", "7.0.3", "18", Evidence("yarn.lock", 4, "locked"))],
        ),
        (
            {
                "package.json": {"dependencies": {"sqlite3": "^4.0.4", "knex": "0.19.5"}},
                "yarn.lock": 'knex@0.19.5:\n  version "0.19.5"\n\nsqlite3@^4.0.4:\n  version "4.0.9"\n\n'
                'sqlite3@^5.1.6:\n  version "5.1.6"\n',
            },
            [("sqlite3", "4.0.9", "14", Evidence("yarn.lock", 4, "locked"))],
        ),
        (
            {
                "package.json": {"dependencies": {"sqlite3": "^5.0.0"}},
                "yarn.lock": '"sqlite3@npm:^5.0.0":\n  version: 5.1.7\n',
            },
            [],
        ),
        (
            {
                "package.json": {"dependencies": {"node-sass": "^9.0.0"}},
                "package-lock.json": {
                    "lockfileVersion": 3, "packages": {"node_modules/node-sass": {"version": "9.0.0"}}
                },
            },
            [],
        ),
        (
            {
                "package.json": {"dependencies": {"node-sass": "^6.0.0"}},
                "package-lock.json": {
                    "lockfileVersion": 1, "dependencies": {"node-sass": {"version": "6.0.1"}}
                },
            },
            [("node-sass", "6.0.1", "17", Evidence("package-lock.json", 1, "locked"))],
        ),
    ],
)  # fmt: skip
def test_node_pins(tmp_path: Path, files: dict[str, object], expected: list[Limit]) -> None:
    for name, content in {"index.js": "require('express')\n", **files}.items():
        (tmp_path / name).write_text(content if isinstance(content, str) else json.dumps(content))
    assert _limits(tmp_path) == expected


def test_limits_are_not_a_user_override() -> None:
    with pytest.raises(AnalysisError, match="unknown profile field 'runtime_limits'"):
        apply_overrides(detect(APPS / "python-django-old-pins"), {"runtime_limits": "[]"})
