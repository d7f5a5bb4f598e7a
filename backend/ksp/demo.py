"""`ksp demo seed`: a believable KSP so a newcomer sees real data. Synthetic people only:
names from a list, NIKs in the valid format for Kabupaten Samosir (12.17)."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.members import service as members
from ksp.members.models import Member
from ksp.savings import service as savings
from ksp.savings.service import Jenis

GIVEN = ["Rosmawati", "Togar", "Lamhot", "Dameria", "Hotman", "Rugun", "Parlindungan", "Tiurma",
         "Marudut", "Nurhayati", "Binsar", "Lasma", "Manahan", "Ria", "Jonggi", "Sondang"]
FAMILY = ["Sinaga", "Simbolon", "Sitanggang", "Situmorang", "Naibaho", "Malau", "Gultom",
          "Sidabutar", "Manik", "Turnip", "Sagala", "Rumahorbo"]
JOBS = ["Petani", "Nelayan", "Pedagang", "Guru", "Anggota Polri", "Penenun ulos", "Wiraswasta"]
VILLAGES = ["Pangururan", "Simanindo", "Onan Runggu", "Nainggolan", "Palipi", "Ronggur Nihuta"]
DEMO_REASON = "Data contoh: riwayat setahun / demo data: a year of history"
STAFF = [("ketua", Role.PENGURUS), ("bendahara", Role.ADMIN), ("pengawas", Role.PENGAWAS)]


def _nik(rng: random.Random, birth: dt.date, female: bool, serial: int) -> str:
    district = rng.choice(["01", "02", "03", "04", "05", "06", "07", "08", "09"])
    day = birth.day + (40 if female else 0)
    return f"1217{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def _month_days(start: dt.date, months: int) -> list[dt.date]:
    days = []
    for i in range(months):
        year, month = divmod(start.month - 1 + i, 12)
        days.append(dt.date(start.year + year, month + 1, min(start.day, 28)))
    return days


def seed(factory: sessionmaker[Session], cipher: PiiCipher, *, members_count: int = 30,
         seed_value: int = 2025) -> dict[str, str]:
    """Creates staff (random passwords, returned once) and members with a year of history.
    Refuses to run twice."""
    rng = random.Random(seed_value)
    with factory() as session:
        if session.scalar(select(func.count()).select_from(Member)):
            return {}
    today = clock.today()
    start = dt.date(today.year - 1, today.month, 5)
    passwords = {}
    with transaction(factory) as session:
        for username, role in STAFF:
            passwords[username] = secrets.token_urlsafe(12)
            create_staff(session, username=username, password=passwords[username], role=role)
    for i in range(members_count):
        female = rng.random() < 0.5
        birth = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
        joined = start + dt.timedelta(days=rng.randint(0, 40))
        with transaction(factory) as session:
            member = members.register(session, cipher, members.Registration(
                nik=_nik(rng, birth, female, i + 1),
                name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                birth_date=birth,
                address=f"Desa {rng.choice(VILLAGES)}, Kabupaten Samosir",
                phone=f"08{rng.randint(11, 13)}{rng.randint(10_000_000, 99_999_999)}",
                occupation=rng.choice(JOBS),
            ))
            number = member.number
            savings.deposit(session, member_number=number, jenis=Jenis.POKOK, amount=100_000,
                            on=joined, reason=DEMO_REASON)
        skipped = rng.sample(range(12), k=rng.choice([0, 0, 1, 2]))  # some fall behind
        for k, day in enumerate(_month_days(joined, 12)):
            if day > today:
                break
            with transaction(factory) as session:
                if k not in skipped:
                    savings.deposit(session, member_number=number, jenis=Jenis.WAJIB,
                                    amount=50_000, on=day, reason=DEMO_REASON)
                if rng.random() < 0.35:
                    savings.deposit(session, member_number=number, jenis=Jenis.SUKARELA,
                                    amount=rng.choice([100_000, 250_000, 500_000, 1_000_000]),
                                    on=day, reason=DEMO_REASON)
                balance = savings.balances(session, number)[Jenis.SUKARELA]
                if balance > 200_000 and rng.random() < 0.2:
                    savings.withdraw(session, member_number=number, jenis=Jenis.SUKARELA,
                                     amount=rng.randrange(50_000, balance // 2, 50_000), on=day,
                                     reason=DEMO_REASON)
    return passwords
