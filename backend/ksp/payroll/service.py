"""The payroll import: check every line, then post the good ones in chunks.

1. `check`: every line against the members (by number, or by NIK through the keyed
   `nik_lookup` column), their status and joining date, duplicates in the file and
   deductions of the same period already imported from another file. Nothing is written.
2. `start`: the import row (and, from the API, the Idempotency-Key and audit row).
3. `post`: chunks of lines, each chunk one transaction under the log lock: lines already
   posted from this file (same SHA-256, same line) are skipped and counted, the rest post
   through `ksp.savings.service.deposit_many`, one log entry per deposit. A line refused
   at posting time (a member who left meanwhile) becomes a reject; the rest go on.
4. `finish`: counts and rejects on the import row, and an audit row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.audit import service as audit
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.core.errors import KspError
from ksp.core.money import format_rupiah
from ksp.ledger import chart, dates, log
from ksp.ledger.batch import insert_rows
from ksp.ledger.models import LogHead
from ksp.loans import service as loan_service
from ksp.loans.models import Loan
from ksp.members.models import Member, MemberStatus
from ksp.payroll.errors import ImportNotFound, InvalidPeriod
from ksp.payroll.models import PayrollImport, PayrollLine, PayrollReject
from ksp.payroll.parser import Line, ParsedFile, Problem, parse
from ksp.savings import service as savings
from ksp.savings.service import DepositItem, Jenis

CHUNK_LINES = 500
# The paymaster transfers the deductions: they arrive in the bank account, not the till.
CASH_ACCOUNT = chart.BANK
_LOOKUP_BATCH = 1000
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
STATUS_RUNNING, STATUS_DONE = "berjalan", "selesai"
ANGSURAN = "angsuran"  # PayrollLine.jenis of a loan instalment (savings use the jenis)


def check_period(period: str) -> str:
    found = _PERIOD.fullmatch(period.strip())
    if found is None or not 1900 <= int(found.group(1)) <= 2100:
        raise InvalidPeriod(period=period[:20])
    return found.group(0)


def default_reason(period: str) -> str:
    return f"Potong gaji periode {period}"


@dataclass(frozen=True)
class Reject:
    line_no: int
    member_given: str
    code: str
    reason_id: str
    reason_en: str


@dataclass(frozen=True)
class GoodLine:
    line_no: int
    member: int
    amounts: tuple[tuple[Jenis, int], ...]
    angsuran: int | None = None
    loan_id: int | None = None  # the loan the angsuran pays (resolved when checked)


@dataclass(frozen=True)
class Checked:
    file: ParsedFile
    period: str
    on: dt.date
    good: tuple[GoodLine, ...]
    rejects: tuple[Reject, ...]


def _reject(line: Line, problems: Sequence[Problem]) -> Reject:
    return Reject(line.line_no, line.given, problems[0].code,
                  "; ".join(p.reason_id for p in problems),
                  "; ".join(p.reason_en for p in problems))


def _error_problem(exc: KspError) -> Problem:
    return Problem(exc.code, exc.render_id(), exc.render_en())


@dataclass(frozen=True)
class _Known:
    number: int
    status: MemberStatus
    joined_on: dt.date | None


def _members(session: Session, cipher: PiiCipher, lines: Sequence[Line]
             ) -> tuple[dict[int, _Known], dict[str, _Known]]:
    """The members the file names, by number and by NIK (looked up by its keyed hash)."""
    numbers = sorted({line.number for line in lines if line.number is not None})
    lookups = {line.nik: cipher.lookup_hash(line.nik, "member.nik")
               for line in lines if line.nik is not None}
    columns = (Member.number, Member.status, Member.joined_on, Member.nik_lookup)
    by_number: dict[int, _Known] = {}
    by_lookup: dict[str, _Known] = {}
    for start in range(0, len(numbers), _LOOKUP_BATCH):
        for number, status, joined, lookup in session.execute(select(*columns).where(
                Member.number.in_(numbers[start : start + _LOOKUP_BATCH]))):
            by_number[number] = by_lookup[lookup] = _Known(number, status, joined)
    hashes = sorted(set(lookups.values()) - by_lookup.keys())
    for start in range(0, len(hashes), _LOOKUP_BATCH):
        for number, status, joined, lookup in session.execute(select(*columns).where(
                Member.nik_lookup.in_(hashes[start : start + _LOOKUP_BATCH]))):
            by_number[number] = by_lookup[lookup] = _Known(number, status, joined)
    return by_number, {nik: by_lookup[h] for nik, h in lookups.items() if h in by_lookup}


def _in_period(session: Session, period: str, members: Sequence[int], sha256: str
               ) -> dict[tuple[int, str], tuple[str, int]]:
    """(member, jenis) → (file, line) of deductions this period already posted from
    another file."""
    found: dict[tuple[int, str], tuple[str, int]] = {}
    for start in range(0, len(members), _LOOKUP_BATCH):
        rows = session.execute(
            select(PayrollLine.member_number, PayrollLine.jenis, PayrollLine.file_sha256,
                   PayrollLine.line_no)
            .where(PayrollLine.period == period, PayrollLine.file_sha256 != sha256,
                   PayrollLine.member_number.in_(members[start : start + _LOOKUP_BATCH])))
        for member, jenis, sha, line_no in rows:
            found[(member, jenis)] = (sha, line_no)
    return found


def _earlier_file(jenis: str, sha: str, line_no: int, period: str) -> Problem:
    return Problem("payroll_already_in_period",
                   f"{jenis} periode {period} sudah diimpor dari berkas lain "
                   f"({sha[:12]}…, baris {line_no})",
                   f"{jenis} for {period} was already imported from another file "
                   f"({sha[:12]}…, line {line_no})")


def _loan_problem(line: Line, member: int, running: dict[int, list[tuple[int, int]]]
                  ) -> tuple[int | None, Problem | None]:
    """The loan an angsuran pays: the one named (it must be the member's and running), or
    the member's oldest running loan."""
    loans = running.get(member, [])
    if line.loan_id is None:
        if not loans:
            return None, Problem("payroll_no_active_loan",
                                 f"anggota {member} tidak punya pinjaman berjalan",
                                 f"member {member} has no running loan")
        return loans[0][0], None
    if line.loan_id not in {loan_id for loan_id, _m in loans}:
        return None, Problem("payroll_loan_not_running",
                             f"pinjaman {line.loan_id} bukan pinjaman berjalan anggota {member}",
                             f"loan {line.loan_id} is not a running loan of member {member}")
    return line.loan_id, None


def _running_loans(session: Session, members: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """Per member, their running loans (id, member), oldest first."""
    found: dict[int, list[tuple[int, int]]] = {}
    for start in range(0, len(members), _LOOKUP_BATCH):
        for loan_id, member in session.execute(
                select(Loan.id, Loan.member_number)
                .where(Loan.status.in_(loan_service.REPAYABLE),
                       Loan.member_number.in_(members[start : start + _LOOKUP_BATCH]))
                .order_by(Loan.disbursed_on, Loan.id)):
            found.setdefault(member, []).append((loan_id, member))
    return found


def check(session: Session, cipher: PiiCipher, parsed: ParsedFile, *, period: str,
          on: dt.date) -> Checked:
    """Every line checked; nothing written."""
    period = check_period(period)
    by_number, by_nik = _members(session, cipher, parsed.lines)
    resolved: list[tuple[Line, _Known]] = []
    rejects: list[Reject] = []
    for line in parsed.lines:
        if line.problems:
            rejects.append(_reject(line, line.problems))
            continue
        known = by_number.get(line.number) if line.number is not None else (
            by_nik.get(line.nik) if line.nik is not None else None)
        problem = _unknown(line) if known is None else _member_problem(line, known, by_nik, on)
        if problem is not None or known is None:
            rejects.append(_reject(line, [problem or _unknown(line)]))
            continue
        resolved.append((line, known))
    numbers = sorted({k.number for _l, k in resolved})
    earlier = _in_period(session, period, numbers, parsed.sha256)
    running = _running_loans(session, numbers) if any(
        line.angsuran is not None for line, _k in resolved) else {}
    first_line: dict[tuple[int, Jenis | str], int] = {}
    good: list[GoodLine] = []
    for line, known in resolved:
        problems = []
        loan_id = None
        if line.angsuran is not None:
            loan_id, loan_problem = _loan_problem(line, known.number, running)
            if loan_problem is not None:
                problems.append(loan_problem)
            elif (known.number, ANGSURAN) in first_line:
                problems.append(Problem(
                    "payroll_duplicate_line",
                    f"duplikat: angsuran anggota {known.number} sudah ada di baris "
                    f"{first_line[(known.number, ANGSURAN)]}",
                    f"duplicate: the angsuran of member {known.number} is already on line "
                    f"{first_line[(known.number, ANGSURAN)]}"))
            elif (known.number, ANGSURAN) in earlier:
                sha, line_no = earlier[(known.number, ANGSURAN)]
                problems.append(_earlier_file(ANGSURAN, sha, line_no, period))
            first_line.setdefault((known.number, ANGSURAN), line.line_no)
        for jenis, _amount in line.amounts:
            key = (known.number, jenis)
            if key in first_line:
                problems.append(Problem(
                    "payroll_duplicate_line",
                    f"duplikat: simpanan {jenis.value} anggota {known.number} sudah ada di "
                    f"baris {first_line[key]}",
                    f"duplicate: {jenis.value} of member {known.number} is already on line "
                    f"{first_line[key]}"))
            elif (known.number, jenis.value) in earlier:
                sha, line_no = earlier[(known.number, jenis.value)]
                problems.append(_earlier_file(jenis.value, sha, line_no, period))
        for jenis, _amount in line.amounts:
            first_line.setdefault((known.number, jenis), line.line_no)
        if problems:
            rejects.append(_reject(line, problems))
        else:
            good.append(GoodLine(line.line_no, known.number, line.amounts, line.angsuran,
                                 loan_id))
    rejects.sort(key=lambda r: r.line_no)
    return Checked(parsed, period, on, tuple(good), tuple(rejects))


def _unknown(line: Line) -> Problem:
    if line.number is not None:
        return Problem("unknown_member", f"anggota {line.number} tidak ditemukan",
                       f"member {line.number} not found")
    return Problem("unknown_member", "tidak ada anggota dengan NIK ini",
                   "no member has this NIK")


def _member_problem(line: Line, known: _Known, by_nik: dict[str, _Known],
                    on: dt.date) -> Problem | None:
    if line.number is not None and line.nik is not None:
        other = by_nik.get(line.nik)
        if other is None or other.number != known.number:
            return Problem("payroll_nik_mismatch",
                           f"NIK bukan milik anggota {known.number}",
                           f"the NIK is not member {known.number}'s")
    if known.status is MemberStatus.KELUAR:
        return Problem("member_not_active", f"anggota {known.number} sudah keluar",
                       f"member {known.number} has exited")
    if known.status is not MemberStatus.ANGGOTA:
        return Problem("member_not_active",
                       f"anggota {known.number} masih calon anggota (simpanan pokok belum "
                       "dibayar)",
                       f"member {known.number} is still a prospective member (simpanan pokok "
                       "not paid)")
    if known.joined_on is not None and on < known.joined_on:
        return _error_problem(dates.DateBeforeJoining(
            member=known.number, joined_on=known.joined_on.isoformat(), date=on.isoformat()))
    return None


def check_date(factory: sessionmaker[Session], on: dt.date, reason: str | None) -> str | None:
    """The posting date, checked once for the whole file before anything posts (the
    chunks check it again under the log lock)."""
    with factory() as session:
        head = session.get(LogHead, 1)
        closed = head.closed_through if head is not None else None
    return dates.check_posting_date(on, today=clock.today(), closed_through=closed,
                                    reason=reason)


def start(session: Session, checked: Checked, *, actor: str, role: str,
          file_name: str | None) -> PayrollImport:
    row = PayrollImport(
        file_sha256=checked.file.sha256, file_name=file_name, period=checked.period,
        posting_date=checked.on, status=STATUS_RUNNING, lines=len(checked.file.lines),
        posted_lines=0, postings=0, posted_amount=0, already_imported=0, rejected=0,
        unknown_columns=json.dumps([{"name": c.name, "filled": c.filled}
                                    for c in checked.file.unknown_columns]),
        actor=actor, role=role, started_at=clock.now())
    session.add(row)
    session.flush()
    return row


@dataclass
class Posted:
    """What one run posted (the counts kept on the import row come from its lines)."""

    lines: int = 0
    already: int = 0
    rejects: list[Reject] = field(default_factory=list)
    last_seq: int | None = None


Progress = Callable[[int], None]


def post(factory: sessionmaker[Session], checked: Checked, *, import_id: int,
         reason: str | None, chunk_lines: int = CHUNK_LINES,
         progress: Progress | None = None) -> Posted:
    """Posts the good lines, `chunk_lines` per transaction; `progress(n)` after each
    chunk with the number of lines it handled."""
    result = Posted()
    good = checked.good
    for start_at in range(0, len(good), chunk_lines):
        chunk = good[start_at : start_at + chunk_lines]
        with transaction(factory) as session:
            _post_chunk(session, checked, chunk, import_id, reason, result)
        if progress is not None:
            progress(len(chunk))
    return result


def _items(checked: Checked, line: GoodLine) -> list[DepositItem]:
    source = {"payroll": {"file_sha256": checked.file.sha256, "line": line.line_no,
                          "period": checked.period}}
    return [DepositItem(line.member, jenis, amount, source) for jenis, amount in line.amounts]


def _post_chunk(session: Session, checked: Checked, chunk: Sequence[GoodLine],
                import_id: int, reason: str | None, result: Posted) -> None:
    sha, period = checked.file.sha256, checked.period
    log.lock_head(session)  # first: every writer waits here, so the looks below are exact
    # Good lines are in file order: one index range, not a list of 500 line numbers.
    done = set(session.scalars(select(PayrollLine.line_no).where(
        PayrollLine.file_sha256 == sha, PayrollLine.period == period,
        PayrollLine.line_no.between(chunk[0].line_no, chunk[-1].line_no))))
    fresh = [line for line in chunk if line.line_no not in done]
    result.already += len(chunk) - len(fresh)
    earlier = _in_period(session, period, sorted({line.member for line in fresh}), sha)
    items = [_items(checked, line) for line in fresh]
    refused = savings.refusals(session, [i for group in items for i in group],
                               on=checked.on)
    ready: list[tuple[GoodLine, list[DepositItem]]] = []
    position = 0
    for line, group in zip(fresh, items, strict=True):
        errors = [_error_problem(e) for e in refused[position : position + len(group)]
                  if e is not None]
        errors += [_earlier_file(i.jenis.value, *earlier[(i.member, i.jenis.value)], period)
                   for i in group if (i.member, i.jenis.value) in earlier]
        if line.angsuran is not None and (line.member, ANGSURAN) in earlier:
            errors.append(_earlier_file(ANGSURAN, *earlier[(line.member, ANGSURAN)], period))
        position += len(group)
        if errors:
            result.rejects.append(Reject(line.line_no, str(line.member), errors[0].code,
                                         "; ".join(p.reason_id for p in errors),
                                         "; ".join(p.reason_en for p in errors)))
        else:
            ready.append((line, group))
    try:
        with session.begin_nested():
            _deposit(session, ready, checked, import_id, reason, result)
    except KspError:
        # Something refused under the lock that the checks above did not foresee: each
        # line alone, so only the lines it concerns are refused.
        for line, group in ready:
            try:
                with session.begin_nested():
                    _deposit(session, [(line, group)], checked, import_id, reason, result)
            except KspError as exc:
                result.rejects.append(Reject(line.line_no, str(line.member), exc.code,
                                             exc.render_id(), exc.render_en()))


def _deposit(session: Session, ready: Sequence[tuple[GoodLine, list[DepositItem]]],
             checked: Checked, import_id: int, reason: str | None, result: Posted) -> None:
    sha, period, on = checked.file.sha256, checked.period, checked.on
    items = [i for _line, group in ready for i in group]
    if not items and not any(line.angsuran is not None for line, _g in ready):
        return
    deposited = savings.deposit_many(session, items, on=on, cash_account=CASH_ACCOUNT,
                                     reason=reason) if items else []
    rows = []
    position = 0
    for line, group in ready:
        for d in deposited[position : position + len(group)]:
            rows.append({"file_sha256": sha, "line_no": line.line_no, "jenis": d.jenis.value,
                         "member_number": d.member, "amount": d.amount, "seq": d.seq,
                         "import_id": import_id, "period": period})
        position += len(group)
    last_seq = deposited[-1].seq if deposited else None
    for line, _group in ready:
        if line.angsuran is None or line.loan_id is None:
            continue
        # Refused here (an overpayment, a loan closed meanwhile): the chunk is retried line by
        # line, so only this line is rejected.
        repaid = loan_service.repay(session, line.loan_id, amount=line.angsuran, on=on,
                                    channel="payroll", cash_account=CASH_ACCOUNT,
                                    reason=reason)
        rows.append({"file_sha256": sha, "line_no": line.line_no, "jenis": ANGSURAN,
                     "member_number": line.member, "amount": line.angsuran,
                     "seq": repaid.seq, "import_id": import_id, "period": period})
        last_seq = repaid.seq
    insert_rows(session, PayrollLine.__table__, rows)
    result.lines += len(ready)
    result.last_seq = last_seq


def finish(session: Session, import_id: int, checked: Checked, posted: Posted, *,
           actor: str, role: str, action: str) -> PayrollImport:
    """Counts from what this import posted (exact also when a run was resumed), the
    rejects, the audit row."""
    row = session.get(PayrollImport, import_id, with_for_update=True)
    if row is None:
        raise ImportNotFound(id=import_id)
    if row.status == STATUS_DONE:  # a twin retry finished it meanwhile
        return row
    lines, postings, amount = session.execute(
        select(func.count(func.distinct(PayrollLine.line_no)), func.count(),
               func.coalesce(func.sum(PayrollLine.amount), 0))
        .where(PayrollLine.import_id == import_id)).one()
    rejects = sorted([*checked.rejects, *posted.rejects], key=lambda r: r.line_no)
    row.posted_lines, row.postings, row.posted_amount = lines, postings, int(amount)
    row.already_imported = len(checked.good) - lines - len(posted.rejects)
    row.rejected = len(rejects)
    row.status, row.finished_at = STATUS_DONE, clock.now()
    if rejects:
        insert_rows(session, PayrollReject.__table__, [
            {"import_id": import_id, "line_no": r.line_no, "member_given": r.member_given[:40],
             "code": r.code[:64], "reason_id": r.reason_id[:400], "reason_en": r.reason_en[:400]}
            for r in rejects])
    audit.record(session, actor=actor, role=role, action=action, status_code=200,
                 target=f"payroll-import:{import_id}", log_seq=posted.last_seq)
    return row


def prepare(factory: sessionmaker[Session], cipher: PiiCipher, data: bytes, *, period: str,
            on: dt.date, reason: str | None) -> tuple[Checked, str | None]:
    """The file read and every line checked, the date checked; nothing written. Returns
    the lines and the backdating reason (default: the period named)."""
    parsed = parse(data)
    period = check_period(period)
    if on < clock.today() and not (reason or "").strip():
        reason = default_reason(period)
    reason = check_date(factory, on, reason)
    with factory() as session:
        return check(session, cipher, parsed, period=period, on=on), reason


def complete(factory: sessionmaker[Session], import_id: int, checked: Checked,
             reason: str | None, *, actor: str, role: str, action: str,
             progress: Progress | None = None) -> dict[str, Any]:
    """Posts and finishes a started import; a finished one is only reported (a retry)."""
    with factory() as session:
        row = get_import(session, import_id)
        if row.status == STATUS_DONE:
            return summary(row)
    posted = post(factory, checked, import_id=import_id, reason=reason, progress=progress)
    with transaction(factory) as session:
        return summary(finish(session, import_id, checked, posted, actor=actor, role=role,
                              action=action))


def get_import(session: Session, import_id: int) -> PayrollImport:
    row = session.get(PayrollImport, import_id)
    if row is None:
        raise ImportNotFound(id=import_id)
    return row


def summary(row: PayrollImport) -> dict[str, Any]:
    return {
        "id": row.id,
        "file_sha256": row.file_sha256,
        "file_name": row.file_name,
        "period": row.period,
        "tanggal": row.posting_date.isoformat(),
        "status": row.status,
        "lines": row.lines,
        "posted_lines": row.posted_lines,
        "postings": row.postings,
        "posted_amount": row.posted_amount,
        "posted_amount_text": format_rupiah(row.posted_amount),
        "already_imported": row.already_imported,
        "rejected": row.rejected,
        "unknown_columns": json.loads(row.unknown_columns),
        "message": message(row),
        "message_en": message_en(row),
    }


def message(row: PayrollImport) -> str:
    text = (f"{row.posted_lines} baris diposting ({format_rupiah(row.posted_amount)}); "
            f"sudah diimpor: {row.already_imported} baris; ditolak: {row.rejected} baris.")
    unknown = json.loads(row.unknown_columns)
    if unknown:
        names = ", ".join(c["name"] for c in unknown)
        text += f" Kolom tidak dikenal, tidak diposting: {names}."
    return text


def message_en(row: PayrollImport) -> str:
    text = (f"{row.posted_lines} lines posted ({format_rupiah(row.posted_amount)}); "
            f"already imported: {row.already_imported} lines; rejected: {row.rejected} lines.")
    unknown = json.loads(row.unknown_columns)
    if unknown:
        names = ", ".join(c["name"] for c in unknown)
        text += f" Unknown columns, not posted: {names}."
    return text


REJECTS_HEADER = ["baris / line", "anggota / member", "kode / code", "alasan", "reason"]


def rejects_table(session: Session, import_id: int) -> list[list[Any]]:
    get_import(session, import_id)
    rows = session.execute(
        select(PayrollReject.line_no, PayrollReject.member_given, PayrollReject.code,
               PayrollReject.reason_id, PayrollReject.reason_en)
        .where(PayrollReject.import_id == import_id).order_by(PayrollReject.line_no))
    return [list(r) for r in rows]
