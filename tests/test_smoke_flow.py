from ksp.auth.models import Role
from tests.support.client import KspClient, new_wallet
from tests.support.factories import deposit, registered


def test_member_joins_saves_and_signs_in(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    wallet = new_wallet()
    member = registered(client, admin, 1, wallet=wallet)
    number = member["number"]
    assert member["status"] == "calon_anggota"

    deposit(client, admin, number, "pokok", 100_000)
    member_token = client.member_login(wallet)
    savings = client.get(f"/api/v1/members/{number}/savings", member_token).json()
    assert savings["balances"] == {"pokok": 100_000, "wajib": 0, "sukarela": 0}
    assert savings["balances_text"]["pokok"] == "Rp 100.000"
