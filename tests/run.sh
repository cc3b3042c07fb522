#!/usr/bin/env bash
# Install wkfn with its test extras (and the reference library `webknossos` in a
# separate environment, for interop tests), then run every check and test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e ".[test,images,remote,distributed]"
if [ ! -x .venv-ref/bin/python ]; then
  "$py" -m venv .venv-ref
  .venv-ref/bin/pip install -q "webknossos==4.3.3" tifffile
fi
export WKFN_REFERENCE_PYTHON="$root/.venv-ref/bin/python"
export WKFN_REQUIRE_REFERENCE=1
echo "== ruff";  .venv/bin/ruff format --check wkfn tests benchmarks examples
.venv/bin/ruff check wkfn tests benchmarks examples
echo "== mypy --strict wkfn"; .venv/bin/mypy --strict wkfn
echo "== pytest"; .venv/bin/pytest -q -n 2 --durations=8 "$@"
