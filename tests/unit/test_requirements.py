"""requirements.txt is exactly what Composer must add: the project's runtime dependencies."""

import tomllib
from pathlib import Path

from shop_analytics.config import REPO_ROOT


def _requirement_lines(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_requirements_txt_mirrors_pyproject_dependencies():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert _requirement_lines(REPO_ROOT / "requirements.txt") == pyproject["project"]["dependencies"]


def test_requirements_are_pinned_and_leave_airflow_to_the_image():
    for line in _requirement_lines(REPO_ROOT / "requirements.txt"):
        assert "==" in line, f"{line!r} is not pinned"
        assert not line.startswith("--"), f"Composer rejects option lines such as {line!r}"
        name = line.split("==")[0].lower()
        assert name not in {"apache-airflow", "apache-airflow-providers-google"}, f"{name} ships with the image"


def test_lock_pins_the_composer_image_versions():
    lock = (REPO_ROOT / "uv.lock").read_text()
    for name, version in [("apache-airflow", "3.2.2"), ("apache-airflow-providers-google", "22.2.2")]:
        assert f'name = "{name}"\nversion = "{version}"' in lock
