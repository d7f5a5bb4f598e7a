"""The FastAPI app factory."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI

from ksp.accounting.products import TOKEN_ID_BY_JENIS
from ksp.anchoring.routes import router as anchoring_router
from ksp.api.errors import install_error_handlers
from ksp.api.guard import BodyGuard, SecurityHeaders, restore_recursion_limit
from ksp.api.health import router as health_router
from ksp.api.openapi import document_routes
from ksp.api.pages import install_pages
from ksp.audit.routes import router as audit_router
from ksp.auth.routes import router as auth_router
from ksp.auth.staff_routes import router as staff_router
from ksp.bootstrap import open_database
from ksp.chain.routes import config_router
from ksp.chain.runtime import ChainRuntime
from ksp.console.routes import router as console_router
from ksp.coop.routes import router as adart_router
from ksp.core.crypto import PiiCipher
from ksp.core.settings import Settings, get_settings
from ksp.corrections.routes import router as corrections_router
from ksp.ledger.routes import router as ledger_router
from ksp.loans.portfolio_routes import router as loan_portfolio_router
from ksp.loans.routes import router as loans_router
from ksp.members.key_routes import router as key_replacement_router
from ksp.members.link_routes import router as link_request_router
from ksp.members.routes import router as members_router
from ksp.payroll.routes import UPLOAD_PATHS
from ksp.payroll.routes import router as payroll_router
from ksp.printing.routes import router as printing_router
from ksp.prudential.routes import router as prudential_router
from ksp.rat.routes import router as rat_router
from ksp.receipts.routes import router as receipts_router
from ksp.receipts.service import signer_address
from ksp.savings.routes import router as savings_router
from ksp.shu.routes import router as shu_router


def create_app(settings: Settings | None = None, chain: ChainRuntime | None = None) -> FastAPI:
    restore_recursion_limit()
    settings = settings or get_settings()
    app = FastAPI(
        title="KSP — Koperasi Simpan Pinjam",
        version="0.1.0",
        description="Buku besar koperasi, cermin on-chain, dan anchoring / "
        "Cooperative ledger, on-chain mirror and anchoring. Aturan API / API rules: "
        "docs/API.md.",
        docs_url=None,  # served by ksp.api.pages from local assets, never a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine, app.state.sessionmaker = open_database(settings)
    app.state.cipher = PiiCipher(settings.pii_key_bytes())
    app.state.chain = chain or ChainRuntime(settings)
    install_error_handlers(app)
    # The prudential report's before printing's: /reports/prudential.pdf is no /reports/{kind}.pdf
    for router in (health_router, auth_router, members_router, savings_router, ledger_router,
                   adart_router, prudential_router, printing_router, console_router):
        app.include_router(router)
    app.include_router(anchoring_router)
    app.include_router(receipts_router)
    app.include_router(key_replacement_router)
    app.include_router(link_request_router)
    # The portfolio's before the loans' routes: /loans/portfolio is no /loans/{loan_id}.
    for router in (corrections_router, audit_router, staff_router, payroll_router,
                   loan_portfolio_router, loans_router, shu_router, rat_router):
        app.include_router(router)
    app.include_router(config_router(TOKEN_ID_BY_JENIS, signer_address))
    install_pages(app)  # last: the wallet page and /static never shadow an API route
    document_routes(app)
    # Added last = outermost: the headers go on the guard's refusals too.
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes,
                       max_json_depth=settings.max_json_depth, uploads=UPLOAD_PATHS,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders, connect_sources=_rpc_origins(settings))
    return app


def _rpc_origins(settings: Settings) -> tuple[str, ...]:
    """The wallet page reads the chain itself: its RPC origin is allowed to connect."""
    parts = urlsplit(settings.public_rpc_url or settings.effective_rpc_url)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme and parts.netloc else ()
