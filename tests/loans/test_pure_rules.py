"""The loan rules are pure (no database), and the method codes are the contract's."""

import re
import subprocess
import sys
from pathlib import Path

from ksp.loans.schedule import METHOD_CODE, Method

ROOT = Path(__file__).resolve().parents[2]
RULES = ["schedule", "allocation", "position", "denda", "quality"]


def test_rule_modules_import_no_database_code():
    code = (f"import sys; import {', '.join(f'ksp.loans.{m}' for m in RULES)}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'sqlalchemy', 'psycopg', 'web3'} or m in {'ksp.core.db', 'ksp.loans.models'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT / "backend")})
    assert out.stdout.strip() == "[]"


def test_method_codes_follow_the_contract_enum_order():
    source = (ROOT / "contracts" / "interfaces" / "ILoanAgreements.sol").read_text()
    body = re.search(r"enum InterestMethod \{([^}]*)\}", source)
    assert body is not None
    names = [name.strip() for name in body.group(1).split(",") if name.strip()]
    assert names == ["Flat", "Declining", "Annuity"]
    assert {m: METHOD_CODE[m] for m in Method} == {
        Method(name.lower()): code for code, name in enumerate(names)}
