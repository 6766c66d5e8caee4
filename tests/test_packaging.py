"""The installed package (a wheel, as the Dockerfile's `pip install .` builds it) carries every file it reads."""
import shutil
import subprocess
import sys
import zipfile

import pytest

from .helpers import REPO


@pytest.mark.slow
def test_the_wheel_carries_every_template_style_and_migration_file(tmp_path):
    # Regression: templates and styles are not Python, and a wheel built without package-data had none of them,
    # so the image would have answered every page with an error.
    # Built from a clean copy: setuptools reuses an in-tree build/ folder, whose stale files would hide the bug.
    source = tmp_path / "source"
    shutil.copytree(REPO / "screener", source / "screener", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "screener"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.split()
    needed = {path for path in tracked if not path.endswith(".py") and "__pycache__" not in path}
    assert needed and "screener/web/templates/_report.html" in needed
    assert needed <= shipped, sorted(needed - shipped)
