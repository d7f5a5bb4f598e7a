from ksp.auth.models import Role
from tests.support.client import KspClient, new_wallet


def test_member_joins_saves_and_signs_in(db_settings):
    client = KspClient(db_settings)
    admin = client.staff(Role.ADMIN)
    wallet = new_wallet()
    reply = client.post("/api/v1/members", {
        "nik": "1217014507900001", "name": "Rosmawati Sinaga", "birth_date": "1990-07-05",
        "address": "Jl. Danau Toba 1, Pangururan", "phone": "081234567890",
        "occupation": "Petani", "wallet": client.wallet_proof(wallet)}, admin)
    assert reply.status_code == 201, reply.text
    number = reply.json()["number"]
    assert reply.json()["status"] == "calon_anggota"

    paid = client.post(f"/api/v1/members/{number}/deposits",
                       {"jenis": "pokok", "amount": 100_000}, admin)
    assert paid.status_code == 201, paid.text
    member_token = client.member_login(wallet)
    savings = client.get(f"/api/v1/members/{number}/savings", member_token).json()
    assert savings["balances"] == {"pokok": 100_000, "wajib": 0, "sukarela": 0}
    assert savings["balances_text"]["pokok"] == "Rp 100.000"
