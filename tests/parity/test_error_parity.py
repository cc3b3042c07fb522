"""Raise-site audit: every scenario of ``error_scenarios.SCENARIOS`` runs in the
reference (one subprocess) and in wkfn; wkfn's error must be an instance of the
builtin exception class the reference raises (wkfn's typed errors subclass it).

A scenario the reference does not raise for fails the test too, so the table
cannot silently drift from the reference's behaviour.
"""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wkfn

sys.path.insert(0, str(Path(__file__).parent))
from error_scenarios import NOT_AUDITED, SCENARIOS, SETUP

pytestmark = pytest.mark.reference

_RUNNER = """
import json, os, sys, tempfile, warnings
import numpy as np
import webknossos as wk
SETUP = {setup!r}
SCENARIOS = {scenarios!r}

def outcome(code, root):
    ns = {{"wk": wk, "np": np, "d": root}}
    exec(SETUP, ns)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, ns)
    except BaseException as exc:  # noqa: BLE001
        return [f"{{c.__module__}}.{{c.__qualname__}}" for c in type(exc).__mro__]
    return None

def main():
    base = sys.argv[1]
    out = {{}}
    for key, (_, code) in SCENARIOS.items():
        root = os.path.join(base, key)
        os.makedirs(root)
        out[key] = outcome(code, root)
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""


def _builtin(mro_names: list[str]) -> type[BaseException]:
    """The most derived builtin exception class in a reference error's MRO."""
    for name in mro_names:
        module, _, qual = name.partition(".")
        if module == "builtins":
            cls = getattr(builtins, qual)
            assert isinstance(cls, type) and issubclass(cls, BaseException)
            return cls
    raise AssertionError(f"no builtin in {mro_names}")


def _wkfn_outcome(code: str, root: Path) -> BaseException | None:
    ns: dict[str, Any] = {"wk": wkfn, "np": np, "d": str(root)}
    exec(SETUP, ns)
    try:
        exec(code, ns)
    except Exception as exc:
        return exc
    return None


@pytest.fixture(scope="module")
def reference_outcomes(
    tmp_path_factory: pytest.TempPathFactory, ref_python: str
) -> dict[str, list[str] | None]:
    base = tmp_path_factory.mktemp("ref_errors")
    script = base / "runner.py"
    script.write_text(_RUNNER.format(setup=SETUP, scenarios=SCENARIOS))
    proc = subprocess.run(
        [ref_python, str(script), str(base / "cases")],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out: dict[str, list[str] | None] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_every_scenario_raises_the_reference_builtin(
    reference_outcomes: dict[str, list[str] | None], tmp_path: Path
) -> None:
    silent_in_reference = [k for k, v in reference_outcomes.items() if v is None]
    assert not silent_in_reference, (
        f"reference raises nothing for {silent_in_reference}"
    )
    mismatches = []
    for key, (site, code) in SCENARIOS.items():
        expected = _builtin(reference_outcomes[key] or [])
        root = tmp_path / key
        root.mkdir()
        got = _wkfn_outcome(code, root)
        if not isinstance(got, expected):
            detail = (
                "no error"
                if got is None
                else "".join(traceback.format_exception_only(type(got), got)).strip()
            )
            mismatches.append(
                f"{key} ({site}): reference {expected.__name__}, wkfn {detail}"
            )
    assert not mismatches, "\n".join(mismatches)


def test_audit_table_documents_what_it_skips() -> None:
    assert len(SCENARIOS) >= 60
    assert all(reason for reason in NOT_AUDITED.values())
    sites = [site for site, _ in SCENARIOS.values()]
    assert len(set(SCENARIOS)) == len(SCENARIOS)
    assert all(sites)
