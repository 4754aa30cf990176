"""Golden-file helpers: compare generated text with expected files, or rewrite them on request.

Environment files (requirements.txt, conda.yml) are compared without their header (its digest covers the pins)
and with every pinned version as `*`: CI installs the newest releases, which must not fail the goldens."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Dict

from nb2prod.convert.environment import pinned_file, unpinned


def compare(expected_dir: Path, produced: Dict[str, str], update: bool) -> None:
    """Every produced file must equal expected_dir/<name>; no expected file may be missing or extra."""
    if update:
        expected_dir.mkdir(parents=True, exist_ok=True)
        for old in expected_dir.iterdir():
            if old.is_file() and old.name not in produced:
                old.unlink()
        for name, text in produced.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
        return
    assert expected_dir.is_dir(), f"{expected_dir} is missing: run `pytest --update-golden` to create it"
    on_disk = sorted(p.name for p in expected_dir.iterdir() if p.is_file())
    assert on_disk == sorted(produced), f"expected files {on_disk}, produced {sorted(produced)}"
    for name, text in sorted(produced.items()):
        want = (expected_dir / name).read_text(encoding="utf-8")
        if pinned_file(name):  # pins follow the installed versions: another machine's may differ
            want, text = (unpinned(t.partition("\n")[2]) for t in (want, text))
        if want != text:
            diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                                f"expected/{name}", f"produced/{name}"))
            raise AssertionError(f"{name} differs from the golden file (pytest --update-golden rewrites it):\n{diff}")
