"""The web3 adapter for AnchorRegistry: the only code that sends anchor transactions.

It carries its own ABI fragment (`anchor`, `latest`, `Anchored`) instead of loading the
compiled artifact, so an auditor's `ksp audit verify` needs neither solc nor the
contract sources; tests check the fragment against the artifact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from ksp.chain.sender import sending_lock
from ksp.core.hexes import to_hex

ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "anchor",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "treeSize", "type": "uint64", "internalType": "uint64"},
            {"name": "root", "type": "bytes32", "internalType": "bytes32"},
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "latest",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [
            {"name": "treeSize", "type": "uint64", "internalType": "uint64"},
            {"name": "root", "type": "bytes32", "internalType": "bytes32"},
            {"name": "anchorCount", "type": "uint64", "internalType": "uint64"},
        ],
    },
    {
        "type": "event",
        "name": "Anchored",
        "anonymous": False,
        "inputs": [
            {"name": "index", "type": "uint64", "indexed": True, "internalType": "uint64"},
            {"name": "treeSize", "type": "uint64", "indexed": False, "internalType": "uint64"},
            {"name": "root", "type": "bytes32", "indexed": False, "internalType": "bytes32"},
        ],
    },
]

# eth_getLogs ranges are capped by most public RPC providers (often 10k blocks or fewer).
LOG_CHUNK_BLOCKS = 5_000


@dataclass(frozen=True)
class AnchorEvent:
    """One `Anchored` event: the anchor's number, what it covers, and where it landed.

    Unpacks like the tuple (index, tree_size, root, tx_hash, block).
    """

    index: int
    tree_size: int
    root: bytes
    tx_hash: str
    block: int

    def __iter__(self) -> Iterator[Any]:
        return iter((self.index, self.tree_size, self.root, self.tx_hash, self.block))


class AnchorReceipt(NamedTuple):
    tx_hash: str
    block: int
    status: int  # 1 mined and applied, 0 reverted
    gas_used: int
    event: AnchorEvent | None  # the Anchored event of this transaction, if it succeeded


class LatestAnchor(NamedTuple):
    tree_size: int
    root: bytes
    anchor_count: int


def registry(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=checksum(address), abi=ABI)


def checksum(address: str) -> ChecksumAddress:
    return Web3.to_checksum_address(address)


def send_anchor(w3: Web3, address: str, tree_size: int, root: bytes) -> str:
    """Sends `anchor(tree_size, root)` from the web3's default account; returns the tx hash.

    Gas estimation runs the call first, so a rejected anchor (size not increasing,
    missing role, paused) raises here and nothing is sent.
    """
    if len(root) != 32:
        raise ValueError("root must be 32 bytes")
    sender = str(w3.eth.default_account)
    with sending_lock(sender):  # the outbox worker sends from the same key
        tx_hash = registry(w3, address).functions.anchor(tree_size, root).transact()
    return to_hex(tx_hash)


def _event(data: Any) -> AnchorEvent:
    args = data["args"]
    return AnchorEvent(
        index=int(args["index"]),
        tree_size=int(args["treeSize"]),
        root=bytes(args["root"]),
        tx_hash=to_hex(data["transactionHash"]),
        block=int(data["blockNumber"]),
    )


def _receipt(w3: Web3, address: str, receipt: TxReceipt) -> AnchorReceipt:
    event: AnchorEvent | None = None
    if receipt["status"] == 1:
        contract = registry(w3, address)
        ours = [
            log for log in receipt["logs"]
            if Web3.to_checksum_address(log["address"]) == contract.address
        ]
        # process_receipt would warn about logs of other contracts; filter first.
        for data in contract.events.Anchored().process_receipt({**receipt, "logs": ours}):
            event = _event(data)
    return AnchorReceipt(
        tx_hash=to_hex(receipt["transactionHash"]),
        block=int(receipt["blockNumber"]),
        status=int(receipt["status"]),
        gas_used=int(receipt["gasUsed"]),
        event=event,
    )


def wait(
    w3: Web3, address: str, tx_hash: str, *, timeout: float = 120, poll_latency: float = 0.1
) -> AnchorReceipt:
    """Waits for the receipt (raises web3's TimeExhausted after `timeout` seconds)."""
    receipt = w3.eth.wait_for_transaction_receipt(
        HexBytes(tx_hash), timeout=timeout, poll_latency=poll_latency
    )
    return _receipt(w3, address, receipt)


def receipt_if_mined(w3: Web3, address: str, tx_hash: str) -> AnchorReceipt | None:
    """The receipt if the transaction is in a block, else None (pending or unknown)."""
    from web3.exceptions import TransactionNotFound

    try:
        receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    return _receipt(w3, address, receipt)


def is_known(w3: Web3, tx_hash: str) -> bool:
    """Whether the node still knows the transaction (mined or waiting in its pool)."""
    from web3.exceptions import TransactionNotFound

    try:
        w3.eth.get_transaction(HexBytes(tx_hash))
    except TransactionNotFound:
        return False
    return True


def _chunks(start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    while start <= end:
        stop = min(start + size - 1, end)
        yield start, stop
        start = stop + 1


def read_anchors(
    w3: Web3,
    address: str,
    from_block: int = 0,
    to_block: int | None = None,
    *,
    chunk: int = LOG_CHUNK_BLOCKS,
) -> list[AnchorEvent]:
    """Every `Anchored` event from `from_block` (the deploy block) to `to_block` (default:
    the current block), read with eth_getLogs in ranges of `chunk` blocks, by index."""
    last = w3.eth.block_number if to_block is None else to_block
    event = registry(w3, address).events.Anchored()
    found: list[AnchorEvent] = []
    for start, stop in _chunks(from_block, last, chunk):
        found.extend(_event(data) for data in event.get_logs(from_block=start, to_block=stop))
    found.sort(key=lambda e: e.index)
    return found


# Custom errors the registry (and OpenZeppelin under it) reverts with, by signature.
_ERRORS: dict[str, list[str]] = {
    "AnchorRegistrySizeNotIncreasing(uint64,uint64)": ["uint64", "uint64"],
    "AnchorRegistryZeroRoot()": [],
    "AccessControlUnauthorizedAccount(address,bytes32)": ["address", "bytes32"],
    "EnforcedPause()": [],
}


def explain_error(exc: BaseException) -> str:
    """A revert in words (the custom error and its arguments) or the exception's first line."""
    from eth_abi.abi import decode

    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        for signature, types in _ERRORS.items():
            if Web3.keccak(text=signature)[:4].hex() == data[2:10].lower():
                values = decode(types, bytes.fromhex(data[10:])) if types else ()
                shown = ", ".join(
                    "0x" + v.hex() if isinstance(v, bytes) else str(v) for v in values
                )
                return f"{signature.split('(')[0]}({shown})"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


def latest(w3: Web3, address: str, block: int | None = None) -> LatestAnchor:
    """`latest()` of the registry, at `block` if given (so it matches events read up to it)."""
    call = registry(w3, address).functions.latest()
    size, root, count = call.call() if block is None else call.call(block_identifier=block)
    return LatestAnchor(tree_size=int(size), root=bytes(root), anchor_count=int(count))
