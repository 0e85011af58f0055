"""The API document tells the truth: schemathesis (pinned in requirements-dev.txt) drives
every operation of /api/v1/openapi.json against the app served over real HTTP, with every
check on (server errors, status codes, content types, headers, response bodies against
their schemas, schema-valid data accepted, schema-invalid data refused, auth not ignored,
unsupported methods answered 405 with Allow) in its coverage, fuzzing and stateful phases.
tests/schemathesis.toml lists the few refusals no schema can express, each with its reason.

SCHEMATHESIS_EXAMPLES (default 25 per operation) and SCHEMATHESIS_SEED bound and pin the run."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "25")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261201")


@pytest.mark.parametrize("database_url, role", [("sqlite", "dispatcher"),
                                                ("postgresql", "worker")],
                         indirect=["database_url"])  # each role once, the engines shared out
def test_the_api_answers_as_its_document_says(live_server, token_for, role, tmp_path):
    command = [os.path.join(os.path.dirname(sys.executable), "schemathesis"),
               "--config-file", str(HERE / "schemathesis.toml"), "--no-color",
               "run", f"{live_server}/api/v1/openapi.json",
               "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED,
               "--workers", "1", "--request-timeout", "30",
               "--header", f"Authorization: Bearer {token_for(role)}",
               "--report", "junit", "--report-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, f"schemathesis found failures:\n{result.stdout[-20000:]}"
    # every documented operation was tested (schemathesis leaves out the document's own URL)
    document = requests.get(f"{live_server}/api/v1/openapi.json", timeout=10).json()
    documented = {f"{method.upper()} {path}" for path, methods in document["paths"].items()
                  for method in methods} - {"GET /openapi.json"}
    report = "".join(path.read_text() for path in tmp_path.glob("*.xml"))
    assert set(re.findall(r'testcase name="([^"]+)"', report)) - {"Stateful tests"} == documented
