"""The command line pipeline: same input, same bytes; clear errors; same tables as the notebooks."""
import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from iraqkit.cli import main
from iraqkit.paths import PROCESSED, RAW

ROOT = Path(__file__).resolve().parent.parent


def _build(out: Path, raw: Path = RAW, stages: str = "ingest,actors,attacks,milestones") -> None:
    r = subprocess.run([sys.executable, "-m", "iraqkit", "build", "--raw", str(raw), "--out", str(out),
                        "--stages", stages, "--no-progress"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "ingest: 5 files -> 5 ingested (6 documents" in r.stdout if raw == RAW else True


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    _build(a)
    _build(b)
    return a, b


def test_two_builds_give_byte_identical_tables(two_builds):
    a, b = two_builds
    names = sorted(p.name for p in a.glob("*.csv"))
    assert {"documents.csv", "sentences.csv", "removed.csv", "quarantine.csv", "mentions.csv",
            "attacks.csv", "milestones.csv", "troop_levels.csv"} <= set(names)
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == []


def test_cli_tables_equal_the_notebooks_tables(two_builds):
    a, _ = two_builds
    if not (PROCESSED / "documents.csv").exists():
        pytest.skip("data/processed is built by the notebooks (make report)")
    for p in sorted(PROCESSED.glob("*.csv")):
        assert (a / p.name).read_bytes() == p.read_bytes(), f"{p.name} differs between CLI and notebooks"


def test_cli_errors_are_clear_and_exit_2(tmp_path, capsys):
    assert main(["build", "--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "o"), "--stages", "ingest,nope"]) == 2
    assert "unknown stage" in capsys.readouterr().err


def test_cli_runs_on_any_folder_and_reports_quarantine(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("عنوان\n\nقال المتحدث باسم الجيش العراقي اللواء يحيى رسول إن الاجتماعات ستستمر.\n",
                               encoding="utf-8")
    (raw / "b.txt").write_bytes(b"")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ingest: 2 files -> 1 ingested (1 documents, 1 sentences), 1 quarantined" in out
    assert (tmp_path / "out" / "quarantine.csv").read_text(encoding="utf-8").splitlines()[1].startswith("b.txt,")
