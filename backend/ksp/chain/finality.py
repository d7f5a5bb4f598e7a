"""When a chain write counts as final, per chain: at once on the local Anvil, at the
`finalized` block tag on Polygon (PoS checkpoints), after a fixed depth elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

LOCAL_CHAIN_IDS = frozenset({31337, 1337})
# Chains with a trustworthy `finalized` tag: Ethereum, Sepolia, Polygon PoS, Polygon Amoy.
FINALIZED_TAG_CHAIN_IDS = frozenset({1, 11155111, 137, 80002})
UNKNOWN_CHAIN_DEPTH = 64
# Rows are re-checked this many blocks below the last final block too: a local Anvil
# (depth 0) can still lose its last blocks in a power cut.
RECHECK_MARGIN = 64


@dataclass(frozen=True)
class Finality:
    depth: int = 0
    use_finalized_tag: bool = False
    recheck_margin: int = RECHECK_MARGIN

    @classmethod
    def for_chain(cls, chain_id: int, depth: int | None = None) -> Finality:
        """`depth` (KSP_CONFIRMATION_DEPTH) overrides the chain's default."""
        if depth is not None:
            if depth < 0:
                raise ValueError("confirmation depth must be 0 or more")
            return cls(depth=depth)
        if chain_id in LOCAL_CHAIN_IDS:
            return cls(depth=0)
        if chain_id in FINALIZED_TAG_CHAIN_IDS:
            return cls(use_finalized_tag=True)
        return cls(depth=UNKNOWN_CHAIN_DEPTH)

    @property
    def immediate(self) -> bool:
        """A receipt is final the moment it is seen (the local Anvil)."""
        return self.depth == 0 and not self.use_finalized_tag

    def final_block(self, w3: Web3) -> int:
        """The highest block number that counts as final now (-1: none yet)."""
        if self.use_finalized_tag:
            return int(w3.eth.get_block("finalized")["number"])
        return int(w3.eth.block_number) - self.depth

    def describe(self) -> str:
        return "finalized tag" if self.use_finalized_tag else f"{self.depth} blocks"

    def describe_id(self) -> str:
        return "tag finalized" if self.use_finalized_tag else f"{self.depth} blok"
