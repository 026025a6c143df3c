"""Requirements that install a release failing at import unless a dependency stays old
(analysis/dependency_conflicts.yaml): found only when the requirement surely installs such a release and
the project does not keep the dependency old; the stop names the line to add."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import Evidence, check_conflicts, detect, profile_from_dict, profile_to_dict
from justpush.errors import AnalysisError
from tests.unit.analysis.spec_summary import APPS


def _conflicts(tmp_path: Path, requirements: str) -> list[tuple[str, str, str, Evidence]]:
    (tmp_path / "requirements.txt").write_text(requirements)
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    return [(c.package, c.version, c.needs, c.evidence) for c in detect(tmp_path).dependency_conflicts]


def test_fixture_flask_1x_with_nothing_keeping_markupsafe_old() -> None:
    profile = detect(APPS / "python-flask-1x-unpinned")
    assert [
        (c.package, c.version, c.requirement, c.needs, c.evidence) for c in profile.dependency_conflicts
    ] == [
        ("flask", "1.1.4", "Flask>=1.1,<2", "markupsafe<2.1", Evidence("requirements.txt", 2, "requirement"))
    ]  # flask-restplus is fine: werkzeug<0.16 keeps Werkzeug below 1.0
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile
    with pytest.raises(AnalysisError) as caught:
        check_conflicts(profile)
    message = str(caught.value)
    assert message.startswith(
        "'Flask>=1.1,<2' (requirements.txt:2) installs flask 1.1.4, which only imports with markupsafe<2.1: "
        "it requires Jinja2<3.0, and Jinja2 2.x imports soft_unicode from MarkupSafe"
    )
    assert "Add 'markupsafe<2.1' to requirements.txt, or move to a flask release" in message
    assert "MarkupSafe 2.1.0 changes" in message


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        # pip takes Flask 1.1.4 (it caps Jinja2 below 3) for any requirement allowing it and nothing of 2.x.
        ("flask~=1.1\n", [("flask", "1.1.4", "markupsafe<2.1")]),
        ("Flask==1.1.3\n", [("flask", "1.1.3", "markupsafe<2.1")]),
        ("Flask==1.1.3; python_version<'3.6'\nFlask>=2; python_version>='3.6'\n", []),
        ("flask==1.1.*\n", [("flask", "1.1.4", "markupsafe<2.1")]),
        # The project keeps MarkupSafe old itself.
        ("Flask>=1.1,<2\nMarkupSafe==2.0.1\n", []),
        ("Flask>=1.1,<2\nmarkupsafe<2.1\n", []),
        ("Flask>=1.1,<2\nmarkupsafe<3\n", [("flask", "1.1.4", "markupsafe<2.1")]),
        # Not surely 1.1.3+: Flask 1.1.2 does not cap Jinja2; no upper bound lets pip take Flask 3.
        ("Flask==1.1.2\n", []),
        ("Flask>=1.1\n", []),
        ("Flask<=1.1.2\n", []),
        # A pinned Jinja2 2.x needs the same.
        ("Flask==1.0.2\nJinja2==2.10.1\n", [("jinja2", "2.10.1", "markupsafe<2.1")]),
        ("Flask==1.0.2\nJinja2==2.10.1\nMarkupSafe==1.1.1\n", []),
        # Flask 2.0.0 to 2.2.3 need Werkzeug below 3.0 (url_quote); 2.2.4 does not.
        ("Flask==2.2.3\nFlask-Cors==3.0.10\n", [("flask", "2.2.3", "werkzeug<3.0")]),
        ("flask==2.0.1\n", [("flask", "2.0.1", "werkzeug<3.0")]),
        ("Flask>=2.0,<2.2.4\n", [("flask", "2.2.3", "werkzeug<3.0")]),
        ("Flask==2.2.3\nWerkzeug==2.2.3\n", []),
        ("Flask==2.1.3\nwerkzeug<3\n", []),
        ("Flask==2.2.4\n", []),
        ("Flask>=2.0\n", []),
        # flask-restplus (archived, last release 0.13.0) needs Werkzeug below 1.0.
        ("flask-restplus\n", [("flask-restplus", "0.13.0", "werkzeug<1.0")]),
        ("flask-restplus<0.12\n", [("flask-restplus", "<0.12", "werkzeug<1.0")]),
        ("flask-restplus==0.13.0\nWerkzeug==0.16.1\n", []),
        ("flask-restplus==0.13.0\nWerkzeug==1.0.1\n", [("flask-restplus", "0.13.0", "werkzeug<1.0")]),
    ],
)
def test_requirements(tmp_path: Path, requirements: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(p, v, n) for p, v, n, _ in _conflicts(tmp_path, requirements)] == expected


def test_a_lockfile_decides_the_versions_itself(tmp_path: Path) -> None:
    (tmp_path / "Pipfile").write_text('[packages]\nflask = "<2"\n')
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"markupsafe": {"version": "==1.1.1"}}}))
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    assert detect(tmp_path).dependency_conflicts == ()
    (tmp_path / "Pipfile.lock").unlink()
    assert [c.package for c in detect(tmp_path).dependency_conflicts] == ["flask"]


def test_a_profile_without_conflicts_passes() -> None:
    check_conflicts(detect(APPS / "python-django-old-pins"))
