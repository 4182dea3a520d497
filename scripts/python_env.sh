# Sourced by the scripts here: PY is the Python of the project's environment (.venv,
# made by `make demo` or `make test`) unless PYTHON names another.
_venv_python="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/python"
[ -x "$_venv_python" ] || _venv_python=python3
PY=${PYTHON:-$_venv_python}
