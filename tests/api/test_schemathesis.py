"""schemathesis over the live OpenAPI of the real app: no request, as staff, as a member or
with no token, gets a server error or a response the document does not describe (status
code, content type, body schema). Bounded: a few examples per operation and identity."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ksp.auth.models import Role
from tests.members.helpers import deposit, register
from tests.support.client import KspClient, new_wallet

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}


def test_schemathesis_finds_no_server_error_and_no_schema_violation(settings, capsys):
    client = KspClient(settings)
    pengurus = client.staff(Role.PENGURUS)
    account = new_wallet()
    number = register(client, pengurus, 1, wallet=account)
    deposit(client, pengurus, number, "pokok", 100_000, "2025-01-10")
    # The member goes first: the pengurus's run may exit member 1 (ending their session).
    identities: dict[str, dict[str, str]] = {
        "anggota": {"Authorization": f"Bearer {client.member_login(account)}"},
        "tanpa token": {},
        "pengurus": {"Authorization": f"Bearer {pengurus}"},
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, "the document lost operations"

    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    for who, headers in identities.items():
        for operation in operations:
            for mode, examples in EXAMPLES.items():
                _explore(operation, mode, examples, headers, who, sent, statuses, failures)
    seconds = time.monotonic() - started
    summary = (f"schemathesis: {sum(sent.values())} requests to {len(operations)} operations "
               f"as {', '.join(identities)} in {seconds:.0f} s; statuses "
               f"{dict(sorted(statuses.items()))}; {len(failures)} violations")
    with capsys.disabled():  # the one summary line, shown even without -s
        print("\n" + summary)  # noqa: T201
    assert not failures, "\n\n".join(failures[:10])


def _explore(operation: Any, mode: GenerationMode, examples: int, headers: dict[str, str],
             who: str, sent: Counter[str], statuses: Counter[int], failures: list[str]) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception as exc:  # e.g. nothing negative can be generated for this operation
        if mode is GenerationMode.NEGATIVE:
            return
        raise AssertionError(f"{operation.label}: {exc}") from exc

    @hypothesis.given(case=strategy)
    @hypothesis.settings(max_examples=examples, deadline=None, database=None,
                         derandomize=True, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        sent[who] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported at the end
            failures.append(f"[{who}, {mode.value}] {operation.label}: {exc}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:  # no invalid input exists for this one
            raise
    except (Exception, BaseExceptionGroup) as exc:  # re-raised by hypothesis
        failures.append(f"[{who}, {mode.value}] {operation.label}: {exc!r}")
