"""The import rules of docs/architecture.md, checked on the source: a wrong-way import fails CI.

The graph is read from the code (every ``import`` and ``from ... import``, lazy ones inside
functions too), so the rules hold for what runs, not for what a reader expects.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "faynosync"

# The domains: each a package with a router (HTTP, thin) and services (rules).
DOMAINS = {
    "auth",
    "catalog",
    "checks",
    "local_files",
    "notify",
    "reports",
    "system",
    "telemetry",
    "tokens",
    "users",
    "velopack",
    "versions",
}
# Below the domains, in this order (a layer imports only layers below it).
LOWER_LAYERS = [
    {"access", "objects", "updaters", "fsck"},
    {"store", "storage"},
    {"errors"},
    {"config", "levels"},
    {"core"},
]
# The composition and the HTTP plumbing around the routers.
TOP = {"app", "cli", "__main__"}
# The command-line client: a top layer of its own that talks to servers over HTTP only.
CLIENT = {"client"}
HTTP = {"http", "deps"}
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn", "python_multipart", "h11", "httptools")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # ``from faynosync import objects`` imports the module faynosync.objects.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path, name):
            if target.startswith("faynosync"):
                # Keep the longest prefix that is a module of ours.
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
            graph[name].add(target)
    return graph


GRAPH = _graph()


def _part(module: str) -> str:
    """The top-level part of faynosync a module belongs to ("" for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _edges():
    for source, targets in sorted(GRAPH.items()):
        for target in sorted(targets):
            yield source, target


def _is_router(module: str) -> bool:
    return module.rpartition(".")[2].endswith("router")


def _speaks_http(module: str) -> bool:
    """Routers and the OpenAPI descriptions of their answers: the HTTP face of a domain."""
    name = module.rpartition(".")[2]
    return _is_router(module) or (name == "openapi" and _part(module) in DOMAINS)


def _layer(part: str) -> int:
    if part in TOP | CLIENT:
        return 0
    if part in HTTP:
        return 1
    if part in DOMAINS:
        return 2
    for depth, layer in enumerate(LOWER_LAYERS, start=3):
        if part in layer:
            return depth
    raise AssertionError(f"faynosync.{part} is in no layer of docs/architecture.md")


def test_every_part_of_the_package_has_a_layer():
    for module in GRAPH:
        if module != "faynosync":
            _layer(_part(module))


def test_imports_go_down_the_layers():
    def layer(module: str) -> int:
        # Routers speak HTTP: they stand with the HTTP plumbing, above every service.
        return 1 if _speaks_http(module) else _layer(_part(module))

    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if target.startswith("faynosync.")
        and _part(source) != _part(target)
        and _part(source) != ""
        and layer(target) < layer(source)
    ]
    assert wrong == []


def test_the_client_imports_nothing_of_the_server():
    """It works against any server of the API, so it knows the server only by HTTP."""
    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if _part(source) in CLIENT
        and target.startswith("faynosync")
        and _part(target) not in CLIENT
    ]
    assert wrong == []


def test_only_the_command_line_imports_the_client():
    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if _part(target) in CLIENT and _part(source) not in CLIENT | {"cli"}
    ]
    assert wrong == []


def test_no_router_is_imported_but_by_the_app():
    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if _is_router(target) and _part(source) not in TOP and source != target
    ]
    assert wrong == []


def test_a_service_never_imports_another_domains_service():
    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if _part(source) in DOMAINS
        and _part(target) in DOMAINS
        and _part(source) != _part(target)
        and (target.endswith(".service") or _is_router(target))
    ]
    assert wrong == []


@pytest.mark.parametrize("framework", WEB_FRAMEWORKS)
def test_below_the_routers_nothing_knows_http(framework):
    """Services, store, storage and core never see a request (``deps`` and ``http`` either)."""
    wrong = [
        f"{source} -> {target}"
        for source, target in _edges()
        if (target.split(".")[0] == framework or _part(target) in HTTP)
        and not _speaks_http(source)
        and _part(source) not in TOP | HTTP
        and source != "faynosync"
    ]
    assert wrong == []


def test_no_cycles_between_parts():
    """Between packages, a router (the HTTP face of its domain) counting on its own."""

    def node(module: str) -> str:
        return module if _speaks_http(module) else _part(module)

    parts: dict[str, set[str]] = defaultdict(set)
    for source, target in _edges():
        if target.startswith("faynosync.") and node(source) != node(target):
            parts[node(source)].add(node(target))
    assert _cycles(parts) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_request_hands_work_to_a_thread(tmp_path):
    """Every endpoint and every dependency is ``async def``: FastAPI runs a plain ``def`` in a
    worker thread, a hand-off per request (blocking work says so with ``asyncio.to_thread``)."""
    import inspect

    from fastapi.routing import APIRoute

    from faynosync.app import create_app
    from faynosync.config import Settings

    app = create_app(Settings(_env_file=None, FAYNOSYNC_DATA_DIR=tmp_path))  # type: ignore[call-arg]
    plain = []

    def visit(dependant, where):
        call = dependant.call
        if call is not None and not inspect.iscoroutinefunction(call):
            plain.append(f"{where}: {getattr(call, '__qualname__', call)}")
        for sub in dependant.dependencies:
            visit(sub, where)

    for route in app.routes:
        if isinstance(route, APIRoute):
            visit(route.dependant, f"{sorted(route.methods or ())} {route.path}")
    assert plain == []
