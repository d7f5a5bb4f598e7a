import json

from fastapi.testclient import TestClient

from ksp.api.app import create_app
from ksp.chain.runtime import ChainRuntime


def test_health_reports_db_chain_and_deployed_registry(chain_settings):
    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    client = TestClient(create_app(chain_settings, runtime))

    body = client.get("/health").json()

    assert body["status"] == "ok"
    assert body["db"] == "ok"
    assert body["chain_id"] == 31337
    assert body["block_number"] >= 1
    registry = deployment["contracts"]["AnchorRegistry"]
    assert body["contracts"]["AnchorRegistry"] == registry["address"]


def test_health_says_degraded_when_chain_is_unreachable(settings):
    client = TestClient(create_app(settings))

    body = client.get("/health").json()

    assert body["db"] == "ok"
    assert body["status"] == "degraded"
    assert body["chain_id"] is None


def test_deploy_is_idempotent_on_the_same_chain(chain_settings):
    first = ChainRuntime(chain_settings).deploy()
    second = ChainRuntime(chain_settings).deploy()

    address = first["contracts"]["AnchorRegistry"]["address"]
    assert second["contracts"]["AnchorRegistry"]["address"] == address
    first_block = first["contracts"]["AnchorRegistry"]["block"]
    assert second["contracts"]["AnchorRegistry"]["block"] == first_block


def test_unknown_route_gets_bilingual_json_404(settings):
    client = TestClient(create_app(settings))

    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"] and response.json()["message_en"]


def test_a_redeployed_dependency_redeploys_its_dependents(chain_settings):
    first = ChainRuntime(chain_settings).deploy()
    path = chain_settings.deployments_dir / "31337.json"
    record = json.loads(path.read_text())
    record["contracts"]["CoopMembers"]["bytecode_hash"] = "0xstale"  # as if its code changed
    path.write_text(json.dumps(record))

    second = ChainRuntime(chain_settings).deploy()

    members = second["contracts"]["CoopMembers"]["address"]
    assert members != first["contracts"]["CoopMembers"]["address"]
    assert second["contracts"]["RatVoting"]["args"][-1] == members  # its last constructor arg
    assert second["contracts"]["RatVoting"]["address"] != first["contracts"]["RatVoting"]["address"]
    assert second["contracts"]["SavingsToken"] == first["contracts"]["SavingsToken"]
