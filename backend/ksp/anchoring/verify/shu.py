"""The SHU lines of the export, checked against each other and against the RAT's decision.

For each distributed year the export holds the RAT result (`rat.hasil`), the allocation
entry (`journal.shu.bagi`: pools, VUK, TMS, the members' total, the RAT seq) and one line per
member (`journal.shu.anggota`, with its inputs). The checks, each finding naming the member
and the year:

- a line's amount is what its journal leg credits, and the formula recomputed from its own
  inputs, SHU_a = (Va/VUK)·JUA + (Sa/TMS)·JMA, rounds to it (floor or ceiling: the largest
  remainder gives no other value);
- its pools, percentages, VUK, TMS and RAT seq are the year's allocation entry's;
- the year's lines add up to the members' total, and the allocation's pools are the SHU
  split by exactly the percentages of the RAT result it names, which approved it
  (`decision` "diterima").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ksp.shu import calc
from ksp.shu.errors import SplitNotWhole

ALLOCATION_KIND = "journal.shu.bagi"
LINE_KIND = "journal.shu.anggota"
RAT_KIND = "rat.hasil"
APPROVED = "diterima"  # the RAT's decision on an approved item (ksp.shu.gate)
SHARED = ("pools", "split", "jasa_usaha_bps", "jasa_usaha", "jasa_modal", "vuk", "tms",
          "rat_seq")

Add = Callable[[str, int, int, str, str], None]


class ShuCheck:
    def __init__(self) -> None:
        self.rat: dict[int, dict[str, Any]] = {}
        self.allocations: dict[int, tuple[int, int, dict[str, Any]]] = {}
        self.lines: dict[int, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)

    def see(self, seq: int, line: int, kind: str, value: dict[str, Any]) -> None:
        data = value.get("data")
        if not isinstance(data, dict):
            return
        if kind == RAT_KIND:
            self.rat[seq] = data
        elif kind == ALLOCATION_KIND and isinstance(data.get("fiscal_year"), int):
            self.allocations[data["fiscal_year"]] = (seq, line, data)
        elif kind == LINE_KIND:
            shu = data.get("shu")
            year = shu.get("fiscal_year") if isinstance(shu, dict) else None
            self.lines[year if isinstance(year, int) else -1].append((seq, line, data))

    def finish(self, add: Add) -> None:
        for year in sorted(set(self.lines) | set(self.allocations)):
            try:
                self._year(year, add)
            except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError,
                    SplitNotWhole) as exc:
                seq, line = self._where(year)
                add("shu_unreadable", seq, line,
                    f"SHU tahun {year} tidak dapat diperiksa ({type(exc).__name__}: {exc})",
                    f"the SHU of {year} cannot be checked ({type(exc).__name__}: {exc})")

    def _where(self, year: int) -> tuple[int, int]:
        if year in self.allocations:
            return self.allocations[year][0], self.allocations[year][1]
        seq, line, _ = self.lines[year][0]
        return seq, line

    def _year(self, year: int, add: Add) -> None:
        if year not in self.allocations:
            seq, line, _ = self.lines[year][0]
            add("shu_without_allocation", seq, line,
                f"baris SHU tahun {year} tanpa entri pembagian SHU (shu.bagi)",
                f"SHU lines of {year} without an SHU allocation entry (shu.bagi)")
            return
        a_seq, a_line, allocation = self.allocations[year]
        pools = allocation["pools"]
        shared = {"pools": pools["amounts"], "split": pools["split"],
                  "jasa_usaha_bps": pools["jasa_usaha_bps"], "jasa_usaha": pools["jasa_usaha"],
                  "jasa_modal": pools["jasa_modal"], "vuk": allocation["vuk"],
                  "tms": allocation["tms"], "rat_seq": allocation["rat_seq"]}
        self._allocation(year, a_seq, a_line, allocation, add)
        total = 0
        for seq, line, data in self.lines[year]:
            total += self._line(year, seq, line, data, shared, add)
        if total != allocation["members_total"]:
            # Named at the year's last line: only there can the sum be judged.
            last_seq, last_line, _ = max(self.lines[year], default=(a_seq, a_line, {}),
                                         key=lambda found: found[0])
            add("shu_sum_mismatch", last_seq, last_line,
                f"baris SHU anggota tahun {year} berjumlah {total}, bukan bagian anggota "
                f"{allocation['members_total']}",
                f"the members' SHU lines of {year} add up to {total}, not the members' part "
                f"{allocation['members_total']}")

    def _allocation(self, year: int, seq: int, line: int, allocation: dict[str, Any],
                    add: Add) -> None:
        pools = allocation["pools"]
        rat = self.rat.get(allocation["rat_seq"])
        figures = rat.get("figures") if isinstance(rat, dict) else None
        if not isinstance(figures, dict) or rat is None or rat.get("fiscal_year") != year:
            add("shu_not_approved", seq, line,
                f"pembagian SHU tahun {year} menunjuk hasil RAT seq {allocation['rat_seq']} "
                "yang tidak ada atau bukan untuk tahun itu",
                f"the SHU allocation of {year} names RAT result seq {allocation['rat_seq']}, "
                "which is missing or for another year")
            return
        if rat.get("decision") != APPROVED:
            add("shu_not_approved", seq, line,
                f"pembagian SHU tahun {year} mengikuti hasil RAT seq {allocation['rat_seq']} "
                f"yang tidak menyetujuinya (keputusan: {rat.get('decision')})",
                f"the SHU allocation of {year} follows RAT result seq "
                f"{allocation['rat_seq']}, which did not approve it (decision: "
                f"{rat.get('decision')})")
        expected = calc.pools_of(pools["shu"], figures["split"], figures["jasa_usaha_bps"])
        if expected.to_json() != pools:
            add("shu_split_mismatch", seq, line,
                f"pool SHU tahun {year} tidak mengikuti persentase yang disetujui RAT "
                f"(seq {allocation['rat_seq']})",
                f"the SHU pools of {year} do not follow the percentages the RAT approved "
                f"(seq {allocation['rat_seq']})")

    def _line(self, year: int, seq: int, line: int, data: dict[str, Any],
              shared: dict[str, Any], add: Add) -> int:
        inputs = data["shu"]
        member, amount = inputs["member"], inputs["amount"]
        credited = [leg for leg in data["lines"] if leg["side"] == "C"]

        def bad(why_id: str, why_en: str) -> None:
            add("shu_line_mismatch", seq, line,
                f"baris SHU anggota {member} tahun {year}: {why_id}",
                f"the SHU line of member {member} for {year}: {why_en}")

        if [(leg["member"], leg["amount"]) for leg in credited] != [(member, amount)]:
            bad(f"jurnal mengkredit {credited}, bukan Rp {amount} untuk anggota itu",
                f"the journal credits {credited}, not Rp {amount} to that member")
        differs = sorted(key for key in SHARED if inputs.get(key) != shared[key])
        if differs:
            bad(f"{', '.join(differs)} berbeda dari entri pembagian SHU",
                f"{', '.join(differs)} differ from the SHU allocation entry")
        exact = calc.exact_share(
            calc.Pools(0, inputs["split"], inputs["jasa_usaha_bps"], inputs["pools"],
                       inputs["jasa_usaha"], inputs["jasa_modal"]),
            inputs["vuk"], inputs["tms"],
            calc.MemberInput(member, inputs["savings_base"], inputs["interest_paid"]))
        if not math.floor(exact) <= amount <= math.ceil(exact):
            shown = f"{float(exact):.2f}"
            bad(f"Rp {amount} tidak sesuai rumus dari inputnya ({shown})",
                f"Rp {amount} does not follow the formula from its inputs ({shown})")
        return int(amount)
