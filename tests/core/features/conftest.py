from __future__ import annotations

import pytest
from featurestore_helpers import build_template, copy_store


@pytest.fixture(scope="session")
def erzadel_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("erzadel-template"))


@pytest.fixture
def erz_store(erzadel_template, tmp_path):
    s = copy_store(erzadel_template, tmp_path)
    yield s
    s.dispose()
