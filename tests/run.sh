#!/usr/bin/env bash
# Install wkfn with its test extras (and the reference library `webknossos` in a
# separate environment, for interop tests), then run every check and test.
#
# Both environments are installed with the locks tests/constraints.txt and
# tests/constraints-ref.txt, so CI gets the same versions every time; refresh
# them with `bash tests/lock.sh`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
lock="$root/tests/constraints.txt"
ref_lock="$root/tests/constraints-ref.txt"
[ -x .venv/bin/python ] || "$py" -m venv .venv
# PIP_CONSTRAINT also reaches pip's isolated build environment (setuptools).
PIP_CONSTRAINT="$lock" .venv/bin/pip install -q pip setuptools
PIP_CONSTRAINT="$lock" .venv/bin/pip install -q -e ".[test,images,remote,distributed]"
[ -x .venv-ref/bin/python ] || "$py" -m venv .venv-ref
PIP_CONSTRAINT="$ref_lock" .venv-ref/bin/pip install -q pip setuptools
PIP_CONSTRAINT="$ref_lock" .venv-ref/bin/pip install -q "webknossos==4.3.3" tifffile
export WKFN_REFERENCE_PYTHON="$root/.venv-ref/bin/python"
export WKFN_REQUIRE_REFERENCE=1
echo "== ruff";  .venv/bin/ruff format --check wkfn tests benchmarks examples
.venv/bin/ruff check wkfn tests benchmarks examples
echo "== mypy --strict wkfn"; .venv/bin/mypy --strict wkfn
echo "== pytest"; .venv/bin/pytest -q -n 2 --durations=8 "$@"
