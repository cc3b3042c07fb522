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
# s3fs: the reference writes and reads datasets in the test S3 bucket (tests/s3)
PIP_CONSTRAINT="$ref_lock" .venv-ref/bin/pip install -q "webknossos==4.3.3" tifffile s3fs
# A headless browser for tests/picture: Debian's chromium, installed when missing and
# apt can run (as root, or with password-less sudo). Where it cannot, the rest still
# runs and the browser test is skipped with the reason.
install_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || return 1
  local as=""
  if [ "$(id -u)" != 0 ]; then
    sudo -n true >/dev/null 2>&1 || return 1
    as="sudo -n"
  fi
  local install="$as env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium"
  $install >/dev/null 2>&1 && return 0
  $as apt-get update -q >/dev/null 2>&1 && $install >/dev/null 2>&1
}
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (for the headless browser test)"
  install_chromium || echo "   chromium could not be installed; that test will be skipped"
fi
export WKFN_REFERENCE_PYTHON="$root/.venv-ref/bin/python"
export WKFN_REQUIRE_REFERENCE=1
echo "== ruff";  .venv/bin/ruff format --check wkfn tests benchmarks examples
.venv/bin/ruff check wkfn tests benchmarks examples
echo "== mypy --strict wkfn"; .venv/bin/mypy --strict wkfn
echo "== pytest"; .venv/bin/pytest -q -n 2 --durations=8 "$@"
