"""A stalled chain (Anvil SIGSTOPped) while `ksp chain reconcile` runs: the ledger does
not wait for it. Deposits through the API answer in under 100 ms, and /health answers in
under a second, saying the chain is unreachable."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time

from eth_account import Account

from ksp.auth.models import Role
from ksp.chain.client import make_web3
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.savings.reconcile import reconcile
from tests.chain.test_outbox import join
from tests.support.client import KspClient


def test_stalled_chain_during_reconcile_delays_neither_deposits_nor_health(settings, own_anvil):
    chain_settings = settings.model_copy(update={"rpc_url": own_anvil.url})
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    client = KspClient(chain_settings)
    factory = client.app.state.sessionmaker
    numbers = [join(factory, client.app.state.cipher, i, Account.create().address)
               for i in (1, 2, 3)]
    OutboxWorker(factory, runtime.connect(), runtime.deployment,
                 chain_settings.operator_private_key()).run_once()
    teller = client.staff(Role.ADMIN)
    body = {"jenis": "sukarela", "amount": 10_000}
    assert client.post(f"/api/v1/members/{numbers[0]}/deposits", body, teller).status_code == 201

    assert own_anvil.process is not None
    pid = own_anvil.process.pid
    os.kill(pid, signal.SIGSTOP)
    outcome: list[object] = []
    reconciling = threading.Thread(target=lambda: outcome.append(_reconcile(
        factory, own_anvil.url, runtime.deployment)), daemon=True)
    try:
        reconciling.start()
        time.sleep(0.3)  # reconcile has read the books and now waits on the chain
        timings = []
        for number in numbers + numbers[:2]:
            started = time.perf_counter()
            reply = client.post(f"/api/v1/members/{number}/deposits", body, teller)
            timings.append(time.perf_counter() - started)
            assert reply.status_code == 201, reply.text
        started = time.perf_counter()
        health = client.http.get("/health").json()
        health_took = time.perf_counter() - started
        assert reconciling.is_alive()  # all of it happened while reconcile was stuck
    finally:
        os.kill(pid, signal.SIGCONT)
    reconciling.join(30)

    # The median holds the 100 ms bound; single requests may exceed it on a loaded test
    # machine (the same happens with the chain up), but none waits for the chain (which
    # before this change took 30 s and ended in a 500).
    assert statistics.median(timings) < 0.100, timings
    assert max(timings) < 1.0, timings
    assert health_took < 1.0
    assert health["chain"] == "unreachable" and health["status"] == "degraded"
    assert health["db"] == "ok"
    assert health["outbox"]["backlog"] == 6  # the six sukarela deposits wait for the chain


def _reconcile(factory, url, deployment):
    try:
        return reconcile(factory, make_web3(url, timeout=20), deployment)
    except Exception as exc:  # the chain may time out; this test is about the ledger
        return exc
