"""No circle of imports anywhere in the package: each module can be read, imported and tested
after what it imports, and a layer never leans on one above it by a back door (an import inside
a function counts; one under TYPE_CHECKING does too, as the type checker follows it)."""

from __future__ import annotations

import grimp


def import_circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The package's modules that import one another in a circle, one set per circle (the
    strongly connected components of more than one module, by Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    circles: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            circle = {stack.pop()}
            while module not in circle:
                circle.add(stack.pop())
            if len(circle) > 1:
                circles.append(circle)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def test_no_module_of_lambdatop_imports_itself_through_a_circle() -> None:
    # cache_dir=None: grimp's cache can serve a graph built before an edit
    graph = grimp.build_graph("lambdatop", cache_dir=None)
    assert import_circles(graph) == []


def test_a_circle_is_found() -> None:
    """The finder itself: a two-module circle inside a longer chain."""
    graph = grimp.ImportGraph()
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.b"), ("p.c", "p.d")):
        graph.add_import(importer=importer, imported=imported)
    assert import_circles(graph) == [{"p.b", "p.c"}]
