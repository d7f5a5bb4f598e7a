"""What the audit reads from the chain, and why it could not, in words an auditor can act on.

Each reason the chain side cannot be read has its own code and message (exit 2): the RPC
does not answer, it serves another chain, there is no contract at the address, or the
contract there is not an AnchorRegistry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ksp.anchoring import merkle
from ksp.anchoring.verify.loans import ChainRepayment, read_repayments
from ksp.chain import anchor_registry as registry

if TYPE_CHECKING:
    from web3 import Web3


class AuditSetupError(Exception):
    """The audit cannot run against this chain; `code` says why."""

    def __init__(self, code: str, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} / {message_en}")
        self.code = code
        self.message_id = message_id
        self.message_en = message_en


@dataclass(frozen=True)
class ChainView:
    """Everything the audit reads from the chain, pinned at one block."""

    block: int
    events: list[registry.AnchorEvent]
    latest: registry.LatestAnchor
    # LoanAgreements' RepaymentRecorded events, when its address was given (None: not read).
    repayments: list[ChainRepayment] | None = field(default=None)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"


def is_unreachable(exc: BaseException) -> bool:
    """Connection refused, timeouts, DNS: the RPC did not answer at all."""
    from web3.exceptions import ProviderConnectionError

    return isinstance(exc, OSError | TimeoutError | ProviderConnectionError)


def unreachable(rpc_url: str, exc: BaseException) -> AuditSetupError:
    reason = "connection refused" if "Connection refused" in str(exc) else _first_line(exc)
    return AuditSetupError(
        "rpc_unreachable",
        f"RPC {rpc_url} tidak dapat dihubungi ({reason}); periksa URL dan jaringan",
        f"the RPC at {rpc_url} cannot be reached ({reason}); check the URL and the network",
    )


def _registry_markers() -> list[bytes]:
    # A registry's runtime code dispatches on these selectors and logs this topic.
    from web3 import Web3

    return [Web3.keccak(text="latest()")[:4], Web3.keccak(text="anchor(uint64,bytes32)")[:4],
            Web3.keccak(text="Anchored(uint64,uint64,bytes32)")]


def not_a_registry(address: str, why_id: str, why_en: str) -> AuditSetupError:
    return AuditSetupError(
        "not_a_registry",
        f"kontrak di {address} bukan AnchorRegistry ({why_id}); periksa alamat yang "
        "diumumkan pengurus",
        f"the contract at {address} is not an AnchorRegistry ({why_en}); check the address "
        "the pengurus published",
    )


def check_registry(w3: Web3, address: str, *, expected_chain_id: int | None = None) -> None:
    """Raises AuditSetupError unless `address` on this chain holds an AnchorRegistry."""
    if expected_chain_id is not None:
        actual = w3.eth.chain_id
        if actual != expected_chain_id:
            raise AuditSetupError(
                "wrong_chain",
                f"RPC melayani rantai {actual}, bukan rantai {expected_chain_id} yang diminta",
                f"the RPC serves chain {actual}, not the expected chain {expected_chain_id}",
            )
    code = bytes(w3.eth.get_code(registry.checksum(address)))
    if not code:
        raise AuditSetupError(
            "no_contract",
            f"tidak ada kontrak di {address} pada rantai ini (no contract)",
            f"no contract at {address} on this chain",
        )
    missing = [marker for marker in _registry_markers() if marker not in code]
    if missing:
        raise not_a_registry(address, "kodenya tidak memuat latest(), anchor() dan Anchored",
                             "its code has no latest(), anchor() and Anchored")


def read_chain(w3: Web3, address: str, from_block: int = 0, *,
               expected_chain_id: int | None = None,
               loans_address: str | None = None) -> ChainView:
    """The registry's events and `latest()` at one block, and the loans' repayments when
    `loans_address` (LoanAgreements) is given (AuditSetupError if it cannot)."""
    from web3.exceptions import Web3Exception

    check_registry(w3, address, expected_chain_id=expected_chain_id)
    head = w3.eth.block_number
    try:
        latest = registry.latest(w3, address, head)
    except (Web3Exception, ValueError) as exc:
        if is_unreachable(exc):
            raise
        raise not_a_registry(address, f"latest() gagal: {_first_line(exc)}",
                             f"latest() failed: {_first_line(exc)}") from exc
    events = registry.read_anchors(w3, address, from_block, head)
    repayments = (read_repayments(w3, loans_address, from_block, head)
                  if loans_address is not None else None)
    return ChainView(head, events, latest, repayments)


def check_proof(proof: dict[str, Any], w3: Web3, registry_address: str,
                from_block: int = 0) -> tuple[bool, str]:
    """Auditor side of an inclusion proof: the path leads to the root, and that root is
    anchored on chain (tree size and root taken from the chain, not from the proof)."""
    try:
        leaf = bytes.fromhex(str(proof["leaf_hash"]).removeprefix("0x"))
        root = bytes.fromhex(str(proof["root"]).removeprefix("0x"))
        path = [bytes.fromhex(str(p).removeprefix("0x")) for p in proof["path"]]
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
    except (KeyError, ValueError, TypeError) as exc:
        return False, f"bukti tidak terbaca / unreadable proof: {exc}"
    payload = proof.get("payload")
    if isinstance(payload, str) and merkle.leaf_hash(payload.encode("utf-8")) != leaf:
        return False, "leaf_hash bukan hash payload / leaf_hash is not the payload's hash"
    if not merkle.verify_inclusion(leaf, index, size, path, root):
        return False, "jalur tidak menuju akar / the path does not lead to the root"
    for event in registry.read_anchors(w3, registry_address, from_block):
        if event.tree_size == size:
            if event.root != root:
                return False, (f"anchor #{event.index} ukuran {size} punya akar lain / "
                               f"anchor #{event.index} of size {size} has another root")
            return True, (f"Bukti sah: entri ada di log ukuran {size}, anchor #{event.index} "
                          f"blok {event.block} / Valid: the entry is in the log of size {size}, "
                          f"anchor #{event.index} in block {event.block}")
    return False, f"tidak ada anchor ukuran {size} / no anchor of size {size}"
