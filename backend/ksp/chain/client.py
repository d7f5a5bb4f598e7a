"""Web3 connections that sign with the backend's operator key (never a member's)."""

from __future__ import annotations

from eth_account import Account
from web3 import Web3
from web3.middleware import SignAndSendRawMiddlewareBuilder

LOCAL_FUNDING_WEI = 10_000 * 10**18


def make_web3(rpc_url: str, private_key: str | None = None, timeout: float = 10) -> Web3:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    if private_key is not None:
        account = Account.from_key(private_key)
        w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
        w3.eth.default_account = account.address
    return w3


def fund_on_anvil(w3: Web3, address: str) -> None:
    """Gives a local key gas money on Anvil; a public chain is funded by the pengurus."""
    if not w3.client_version.lower().startswith("anvil"):
        return
    if w3.eth.get_balance(Web3.to_checksum_address(address)) < LOCAL_FUNDING_WEI // 2:
        w3.provider.make_request("anvil_setBalance", [address, hex(LOCAL_FUNDING_WEI)])  # type: ignore[arg-type]
