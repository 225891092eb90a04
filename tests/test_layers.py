"""The architecture, checked: layers import only downwards, service/ and benchmarks/ only public names, every
subpackage's __all__ is complete, and a built wheel (no editable install, no repository) works on its own."""
import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUNDLED_CATALOG, ROOT

LAYERS = ("core", "text", "model", "ranking", "teams", "io", "coverage", "feedback", "alerts", "batch", "cli")


def matcher_imports(path: Path):
    """(module, names) of every `from matcher... import` in a file, relative imports resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "matcher" or module.startswith("matcher."):
                yield module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("matcher"):
                    yield a.name, []


def layer_of(module: str) -> int:
    """Position in LAYERS; the package itself (matcher/__init__.py) sits on top of them all."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


@pytest.mark.parametrize("path", sorted((ROOT / "matcher").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_layer_imports_only_the_layers_below_it(path):
    own = layer_of("matcher." + ".".join(path.relative_to(ROOT / "matcher").with_suffix("").parts))
    for module, _ in matcher_imports(path):
        if module != "matcher":
            assert layer_of(module) <= own, f"{path.relative_to(ROOT)} imports {module}, a layer above it"


def test_no_layer_reaches_into_another_layers_private_modules():
    for path in (ROOT / "matcher").rglob("*.py"):
        own = path.relative_to(ROOT / "matcher").parts[0]
        for module, _ in matcher_imports(path):
            parts = module.split(".")
            if len(parts) > 2 and parts[1] != own:
                assert not parts[2].startswith("_"), f"{path.relative_to(ROOT)} imports {module}"


@pytest.mark.parametrize("folder", ["service", "benchmarks"])
def test_service_and_benchmarks_import_only_public_names(folder):
    for path in (ROOT / folder).rglob("*.py"):
        for module, names in matcher_imports(path):
            assert not any(part.startswith("_") for part in module.split(".")), f"{path}: {module}"
            public = set(importlib.import_module(module).__all__)
            for name in names:
                assert name in public or name == "limits", f"{path.relative_to(ROOT)}: {module}.{name} is not public"


@pytest.mark.parametrize("package", ["matcher", *(f"matcher.{name}" for name in LAYERS[:-1])])
def test_all_lists_every_public_name_of_each_package(package):
    module = importlib.import_module(package)
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public <= set(module.__all__), public - set(module.__all__)
    assert all(hasattr(module, n) for n in module.__all__)


def test_a_built_wheel_trains_recommends_and_reports_without_the_repository(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", ROOT],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("kommune_matcher-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel],
                   check=True, capture_output=True)
    work = tmp_path / "work"  # far from the repository, so only the wheel's matcher can be imported
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONIOENCODING": "utf-8"}
    env.pop("KOMMUNE_MATCHER_DATA", None)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "matcher.cli", *map(str, args)], cwd=work, env=env,
                              capture_output=True, text=True, check=True)

    where = subprocess.run([sys.executable, "-c", "import matcher, service; print(matcher.__file__, service.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert all(path.startswith(str(target)) for path in where.split())
    cli("train", "--catalog", BUNDLED_CATALOG, "--model", work / "m")
    answer = cli("recommend", "--model", work / "m", "--role-title", "Jugendhilfeplanerin", "--needs",
                 "Jugendliche an der Planung beteiligen", "--region", "NW")
    assert answer.stdout.count("\n 1. ") == 1 and "\n10. " in answer.stdout  # a ranked list of ten offers
    cli("coverage", "--model", work / "m", "--out", work / "gaps.html")
    assert "<html" in (work / "gaps.html").read_text(encoding="utf-8")
