"""The environment files agree with each other and with what is installed."""
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_deps():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _env_pip_deps():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "- pip:")
    deps = []
    for ln in lines[start + 1:]:
        m = re.match(r"^\s+-\s+(.+?)\s*$", ln)
        if not m:
            break
        deps.append(m.group(1))
    return deps


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    env = _env_pip_deps()
    assert "-e ." in env
    assert sorted(d for d in env if d != "-e .") == sorted(_pyproject_deps())
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_every_dependency_is_pinned_and_locked_at_the_same_version():
    lock = {}
    for ln in (ROOT / "constraints.txt").read_text().splitlines():
        if ln and not ln.startswith("#"):
            name, ver = ln.split("==")
            lock[name.lower().replace("_", "-")] = ver
    for dep in _pyproject_deps():
        name, ver = dep.split("==")  # every direct dependency is pinned exactly
        name = name.split("[")[0].lower()  # extras are not part of the lock's name
        assert lock[name] == ver, f"{name}: pyproject {ver} vs constraints.txt {lock.get(name)}"


def test_installed_versions_match_the_pins():
    for dep in _pyproject_deps():
        name, ver = dep.split("==")
        name = name.split("[")[0]
        assert version(name) == ver, f"{name} installed {version(name)}, pinned {ver}: run `make setup`"
