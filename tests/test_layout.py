"""The shape DESIGN.md ("Layout") describes, checked on the source (issue 16): core/ imports
no feature except in create_app's registration table, and no two packages import each
other, directly or round a loop. Imports inside functions count: they are dependencies too."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGES = {"tests", "migrations", "bench", "translations", "static", "templates"}
#: where core/ may name features: the factory's registration table
CORE_REGISTRATION = {"core/__init__.py"}
#: DESIGN.md's arrows, lowest first: a package imports only core/ and those before it.
#: A new package takes its place here (dashboard/ and field/ after events/ and notify/).
LAYERS = ("core", "audit", "grid", "workcal", "auth", "events", "notify", "ops", "portal", "field",
          "snow", "care", "dashboard", "programme", "demo")


def packages() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")
            if path.parent.name not in NOT_PACKAGES and not path.parent.name.startswith(".")}


def imports() -> dict[str, dict[str, set[str]]]:
    """{package: {imported package: {files}}}, over every import statement in the package."""
    known = packages()
    graph: dict[str, dict[str, set[str]]] = {name: {} for name in known}
    for package in known:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in known and top != package:
                        graph[package].setdefault(top, set()).add(
                            str(path.relative_to(ROOT)))
    return graph


def cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walker_sees_real_imports():
    graph = imports()
    assert {"core", "auth", "grid", "events", "notify", "portal", "workcal", "demo"} <= set(graph)
    assert "core/__init__.py" in graph["core"]["events"]  # the registration table
    assert graph["events"]["workcal"]  # deadlines count working time
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


def test_core_imports_no_feature_outside_create_apps_table():
    graph = imports()
    wrong = {f"{path} imports {feature}"
             for feature, paths in graph["core"].items() for path in paths
             if path not in CORE_REGISTRATION}
    assert not wrong, sorted(wrong)


def test_no_package_cycle():
    graph = imports()
    without_table = {a: {b: p for b, p in targets.items()
                         if a != "core" or set(p) - CORE_REGISTRATION}
                     for a, targets in graph.items()}
    assert cycles(without_table) == []


def test_every_import_points_down_the_layers():
    graph = imports()
    assert set(graph) == set(LAYERS), "place the new package in LAYERS"
    upward = {f"{path} imports {target}"
              for package, targets in graph.items() if package != "core"
              for target, paths in targets.items()
              if LAYERS.index(target) > LAYERS.index(package) for path in paths}
    assert not upward, sorted(upward)
