"""The content hash a member signs: keccak256 of the item's RFC 8785 canonical JSON, so the
wallet page can recompute it; every field the member reads changes it."""

from __future__ import annotations

import dataclasses

from eth_utils import keccak

from ksp.rat.content import ItemContent, agenda_hash, content_hash

ELECTION = ItemContent(kind="election", title="Pemilihan pengurus", text="Tiga kursi.",
                       figures=None, office="pengurus", seats=3, candidates=[4, 2, 9, 7, 5],
                       threshold_bps=None)


def test_the_canonical_json_is_sorted_compact_and_hashed_with_keccak() -> None:
    expected = (b'{"candidates":[4,2,9,7,5],"figures":null,"kind":"election",'
                b'"office":"pengurus","seats":3,"text":"Tiga kursi.",'
                b'"threshold_bps":null,"title":"Pemilihan pengurus"}')
    assert ELECTION.canonical() == expected
    assert content_hash(ELECTION) == "0x" + keccak(expected).hex()


def test_every_field_a_member_reads_changes_the_hash() -> None:
    changes = {"title": "Pemilihan pengawas", "text": "Dua kursi.", "office": "pengawas",
               "seats": 2, "candidates": [2, 4, 9, 7, 5], "threshold_bps": 5000,
               "figures": {"shu_total": 1}, "kind": "motion"}
    hashes = {content_hash(dataclasses.replace(ELECTION, **{k: v}))
              for k, v in changes.items()}
    assert len(hashes) == len(changes) and content_hash(ELECTION) not in hashes


def test_agenda_hash_is_keccak_of_the_item_hashes_in_order() -> None:
    a, b = "0x" + "11" * 32, "0x" + "22" * 32
    assert agenda_hash([a, b]) == "0x" + keccak(bytes.fromhex("11" * 32 + "22" * 32)).hex()
    assert agenda_hash([a, b]) != agenda_hash([b, a])
