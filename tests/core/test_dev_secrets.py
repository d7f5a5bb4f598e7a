"""Development secrets (var_dir/secrets.json) read and added by many request threads at
once: no reader ever sees a half-written file, and no secret is lost."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from ksp.core.settings import Settings


def test_threads_adding_and_reading_secrets_never_see_a_half_written_file(tmp_path):
    settings = Settings(var_dir=tmp_path, _env_file=None)
    first = settings.dev_secret("secret")

    def work(i: int) -> tuple[str, str]:
        return settings.dev_secret(f"name-{i}"), settings.dev_secret("secret")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(200)))

    assert all(again == first for _, again in results)
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert {f"name-{i}": mine for i, (mine, _) in enumerate(results)}.items() <= stored.items()
    assert len(stored) == 201
    assert list(tmp_path.iterdir()) == [tmp_path / "secrets.json"]  # no temp file left
