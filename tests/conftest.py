"""Test-wide isolation: the fact cache lives in a per-session temporary directory.

The CLI turns the cache on by default; without this, tests would write to the user's
cache directory and could see entries from other checkouts.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache_dir(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MLAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("mlaudit-cache")))
    yield
    mp.undo()
