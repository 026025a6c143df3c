"""Golden Dockerfiles: tests/golden/dockerfile/NN-case.input.yaml -> NN-case.expected.Dockerfile.

Each input holds a `profile` and its options in `x-test-config`; the rendered Dockerfile must equal
the expected file byte for byte (and the .dockerignore, where an expected one exists). The helper
files it ships into the build context are listed in NN-case.expected.files (none when absent) and
are shipped exactly as the package's data files `justpush/build/helpers/<name>`. The runner writes
`*.generated.*` next to the inputs (gitignored) for diffing. Inputs under `invalid/` must be refused
with a GenerationError containing their `x-test-config.error`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from justpush.analysis import ProjectProfile
from justpush.build import DockerfileOptions, render_dockerfile
from justpush.config import BuildSettings
from justpush.errors import GenerationError

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "dockerfile"
_TUPLE_FIELDS = ("dependency_files", "start_command", "build_command", "native_dependencies")


def _load(path: Path) -> tuple[ProjectProfile, DockerfileOptions, dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = dict(document["profile"])
    for name in _TUPLE_FIELDS:
        if name in fields:
            fields[name] = tuple(fields[name])
    config = dict(document.get("x-test-config") or {})
    base_images = {**BuildSettings().base_images, **config.pop("base_images", {})}
    expected_error = config.pop("error", None)
    options = DockerfileOptions(base_images=base_images, **config)
    return ProjectProfile(**fields), options, {"error": expected_error}


def _cases(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.input.yaml"))


def test_golden_folder_is_not_empty() -> None:
    assert len(_cases(GOLDEN)) >= 10
    assert _cases(GOLDEN / "invalid")


def test_every_input_starts_with_a_comment() -> None:
    for path in [*_cases(GOLDEN), *_cases(GOLDEN / "invalid")]:
        assert path.read_text(encoding="utf-8").startswith("# "), path.name


@pytest.mark.parametrize("path", _cases(GOLDEN), ids=lambda p: p.name.removesuffix(".input.yaml"))
def test_golden_dockerfile(path: Path) -> None:
    profile, options, _ = _load(path)
    generated = render_dockerfile(profile, options)
    stem = path.name.removesuffix(".input.yaml")
    (GOLDEN / f"{stem}.generated.Dockerfile").write_text(generated.dockerfile, encoding="utf-8")
    (GOLDEN / f"{stem}.generated.dockerignore").write_text(generated.dockerignore, encoding="utf-8")
    expected = (GOLDEN / f"{stem}.expected.Dockerfile").read_text(encoding="utf-8")
    assert generated.dockerfile == expected
    expected_ignore = GOLDEN / f"{stem}.expected.dockerignore"
    if expected_ignore.exists():
        assert generated.dockerignore == expected_ignore.read_text(encoding="utf-8")
    listed = GOLDEN / f"{stem}.expected.files"
    names = listed.read_text(encoding="utf-8").split() if listed.exists() else []
    assert sorted(generated.files) == names
    for name in names:
        helper = resources.files("justpush.build") / "helpers" / name.rsplit("/", 1)[-1]
        assert generated.files[name] == helper.read_text(encoding="utf-8"), name


@pytest.mark.parametrize("path", _cases(GOLDEN / "invalid"), ids=lambda p: p.name.removesuffix(".input.yaml"))
def test_invalid_profiles_are_refused(path: Path) -> None:
    profile, options, expected = _load(path)
    with pytest.raises(GenerationError) as caught:
        render_dockerfile(profile, options)
    assert expected["error"] in str(caught.value)
