"""SQLite write queueing: a transaction may begin in one thread and end in another (FastAPI
moves a request between worker threads), and the next writer must still get in."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from ksp.core.db import make_engine, make_sessionmaker


def test_transaction_ended_in_another_thread_frees_the_writer_lock(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    factory = make_sessionmaker(engine)
    session = factory()
    pools = [ThreadPoolExecutor(1) for _ in range(3)]
    try:
        pools[0].submit(lambda: session.execute(text("SELECT 1"))).result()
        pools[1].submit(session.close).result()  # ends (rolls back) in a different thread

        def next_writer() -> int:
            with factory() as other, other.begin():
                return int(other.execute(text("SELECT 2")).scalar_one())

        # A third thread: neither the one that began nor the one that ended.
        assert pools[2].submit(next_writer).result(timeout=45) == 2
    finally:
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)


def test_concurrent_readers_all_finish(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    factory = make_sessionmaker(engine)

    def read(_: int) -> int:
        with factory() as session:
            return int(session.execute(text("SELECT 1")).scalar_one())

    with ThreadPoolExecutor(9) as pool:
        assert sum(pool.map(read, range(90), timeout=30)) == 90
