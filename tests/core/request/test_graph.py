"""The import graph: imports resolved to files, PageRank, neighbours."""

from __future__ import annotations

from bigpicture.core.request import graph


def test_python_imports_resolve_to_files_and_the_most_imported_ranks_first():
    imports = {
        "src/app/__init__.py": [],
        "src/app/nodes.py": ["os", "typing"],
        "src/app/checker.py": ["app.nodes", "app.nodes.Node", ".util"],
        "src/app/util.py": ["app.nodes"],
        "src/app/cli.py": ["app.checker", "app"],
        "src/app/vendored/os.py": [],  # inside the package: not the standard library's "os"
        "scripts/tool.py": ["app.util", "argparse"],
    }
    g = graph.build_graph(imports)
    assert g.imports["src/app/checker.py"] == {"src/app/nodes.py", "src/app/util.py"}
    assert g.imports["src/app/nodes.py"] == set()  # os and typing are not repository files
    assert g.imports["src/app/cli.py"] == {"src/app/checker.py", "src/app/__init__.py"}
    ranks = graph.rank(g)
    assert abs(sum(ranks.values()) - 1.0) < 1e-6
    top = max(ranks, key=lambda p: ranks[p])
    assert top == "src/app/nodes.py"
    assert ranks["src/app/nodes.py"] > ranks["scripts/tool.py"]


def test_relative_and_path_imports():
    imports = {
        "pkg/__init__.py": [],
        "pkg/a/__init__.py": [],
        "pkg/a/x.py": ["..", "..b", ".y.Thing"],
        "pkg/a/y.py": [],
        "pkg/b.py": [],
        "web/src/store.ts": ["./util", "../lib/index", "lodash"],
        "web/src/util.ts": [],
        "web/lib/index.js": [],
        "native/main.c": ["defs.h", "stdio.h"],
        "native/include/defs.h": [],
    }
    g = graph.build_graph(imports)
    assert g.imports["pkg/a/x.py"] == {"pkg/__init__.py", "pkg/b.py", "pkg/a/y.py"}
    assert g.imports["web/src/store.ts"] == {"web/src/util.ts", "web/lib/index.js"}
    assert g.imports["native/main.c"] == {"native/include/defs.h"}


def test_neighbours_both_ways_and_by_hops():
    g = graph.build_graph({"a.py": ["b"], "b.py": ["c"], "c.py": [], "d.py": ["a"]})
    assert graph.neighbours(g, ["b.py"]) == {"a.py", "c.py"}
    assert graph.neighbours(g, ["b.py"], hops=2) == {"a.py", "c.py", "d.py"}
    assert graph.neighbours(g, ["missing.py"]) == set()
