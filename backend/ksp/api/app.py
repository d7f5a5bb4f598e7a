"""The FastAPI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from ksp.api.errors import install_error_handlers
from ksp.api.health import router as health_router
from ksp.chain.runtime import ChainRuntime
from ksp.core.db import make_engine, make_sessionmaker
from ksp.core.settings import Settings, get_settings


def create_app(settings: Settings | None = None, chain: ChainRuntime | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="KSP — Koperasi Simpan Pinjam",
        version="0.1.0",
        description="Buku besar koperasi, cermin on-chain, dan anchoring / "
        "Cooperative ledger, on-chain mirror and anchoring",
    )
    app.state.settings = settings
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.chain = chain or ChainRuntime(settings)
    install_error_handlers(app)
    app.include_router(health_router)
    return app
