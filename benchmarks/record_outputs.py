"""Record everything nb2prod prints and writes for a fixed set of notebooks, to prove a refactor changed nothing.

    python benchmarks/record_outputs.py OUTDIR            # record
    diff -r OUTDIR_BEFORE OUTDIR_AFTER                     # compare two recordings

Inputs: the project's examples, the pdsh corpus and the MLOpsPython reference notebooks (from ../shared,
read-only; copied first), and the generated benchmark notebooks of bench_convert.py (100 and 1,000 cells).
Per notebook: `convert --explain` with `--kind auto` and `--kind training` (files written, stdout, stderr,
exit status), and for every input folder `lint --format json --no-cache`. Paths in the outputs are made
relative to the copy, so two recordings made in different folders compare equal.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(HERE))


def _inputs(work: Path) -> list:
    from bench_convert import generated_notebook

    sets = {
        "examples": ROOT / "examples",
        "pdsh": SHARED / "corpus" / "pdsh",
        "reference": SHARED / "reference" / "mlopspython",
    }
    for name, src in sets.items():
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("expected"))
    bench = work / "bench"
    bench.mkdir()
    for size in (100, 1000):
        (bench / f"cells_{size}.ipynb").write_text(json.dumps(generated_notebook(size), indent=1))
    return sorted(p for p in work.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _run(args: list, cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, capture_output=True, text=True)
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def record(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nb2prod-record-") as tmp:
        work = Path(tmp) / "in"
        work.mkdir()
        notebooks = _inputs(work)
        for nb in notebooks:
            rel = nb.relative_to(work)
            for kind in ("auto", "training"):
                dest = Path(tmp) / "out" / rel.with_suffix("") / kind
                result = _run(["convert", str(rel), "-o", str(dest), "--kind", kind, "--explain"], work)
                target = out / rel.with_suffix("") / kind
                target.mkdir(parents=True, exist_ok=True)
                for f in sorted(dest.glob("*")) if dest.is_dir() else ():
                    shutil.copy(f, target / f.name)
                text = json.dumps(result, indent=1).replace(str(dest), "<out>")
                (target / "result.json").write_text(text)
        for folder in sorted(p.name for p in work.iterdir()):
            result = _run(["lint", folder, "--format", "json", "--no-cache"], work)
            report = result.pop("stdout")  # one finding per line block, so a diff shows which ones changed
            (out / f"lint_{folder}.json").write_text(json.dumps(result, indent=1) + "\n" + report)
    print(f"recorded {len(notebooks)} notebooks into {out}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    sys.exit(record(parser.parse_args().outdir))
