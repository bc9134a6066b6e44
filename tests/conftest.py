"""Shared pytest fixtures: where the build tree is, and the sandbox binary."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def build_dir():
    path = pathlib.Path(os.environ.get("KLING_BUILD_DIR", ROOT / "build"))
    if not path.is_dir():
        pytest.fail(f"no build tree at {path}: run `make build` (or set KLING_BUILD_DIR)")
    return path
