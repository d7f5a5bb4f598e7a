"""The address a principal's `Proxy` signature names, looked up by member number (the wallet
page's surat kuasa): a member's token only, refused as an appointment would be."""

from __future__ import annotations

from ksp.auth.models import Role
from ksp.core.settings import Settings
from tests.rat.conftest import Coop, announced_meeting
from tests.support.client import KspClient


def test_a_member_looks_up_the_proxy_address(coop: Coop, db_settings: Settings) -> None:
    meeting, _items = announced_meeting(coop)
    client = KspClient(db_settings)
    token = client.member_login(coop.keys[5])
    base = f"/api/v1/rat/meetings/{meeting.id}/proxies/address"
    reply = client.get(f"{base}/6", token)
    assert reply.status_code == 200
    assert reply.json() == {"member": 6, "address": coop.keys[6].address}
    assert client.get(f"{base}/999", token).status_code == 404
    assert client.get(f"{base}/6", client.staff(Role.PENGURUS)).status_code == 403
    assert client.get(f"/api/v1/rat/meetings/{meeting.id + 1}/proxies/address/6",
                      token).status_code == 404
