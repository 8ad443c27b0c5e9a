#!/usr/bin/env python3
"""Write the contract test's reference data from pulp_container 2.30's OpenAPI schema.

Run once; the output is checked in as tests/functional/data/contract_2_30.json:

    python scripts/contract_from_openapi.py \
        /work/shared/contract/pulp_container-2.30.0-openapi.json \
        > tests/functional/data/contract_2_30.json
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.functional.contract import operations  # noqa: E402


def main(path):
    schema = json.loads(Path(path).read_text())
    data = {
        "source": Path(path).name,
        "versions": schema["info"].get("x-pulp-app-versions", {}),
        "operations": operations(schema),
    }
    json.dump(data, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
