"""The shape of the package's code (issue 36): short functions a reader can follow."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "drummernet"
LONGEST = 100  # lines, docstring and comments included


def test_no_function_in_the_package_is_longer_than_100_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > LONGEST:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                                f"{node.name} ({lines} lines)")  # fmt: skip
    assert not long, "\n".join(long)
