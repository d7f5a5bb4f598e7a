"""The member's wallet page: static files from frontend/ (ES modules, no build step) and
ethers from node_modules. The chain facts it needs come from ksp.chain.routes.

Registered last in create_app, so every API route wins over these."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from ksp.core.settings import PROJECT_ROOT

FRONTEND_DIR = PROJECT_ROOT / "frontend"
ETHERS_PATH = PROJECT_ROOT / "node_modules/ethers/dist/ethers.umd.min.js"
JSQR_PATH = PROJECT_ROOT / "node_modules/jsqr/dist/jsQR.js"
SWAGGER_DIR = PROJECT_ROOT / "node_modules/swagger-ui-dist"
DOCS_DIR = Path(__file__).resolve().parent / "static"
# Only these files of swagger-ui-dist are served; docs.js is ours (no inline script).
SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
                 "swagger-ui.css": "text/css; charset=utf-8"}
# The HTML is revalidated on every load (it is tiny); ethers changes only with npm ci.
NO_CACHE = {"Cache-Control": "no-cache"}
VENDOR_MAX_AGE = "public, max-age=86400"

router = APIRouter(tags=["halaman"])


def _page() -> Response:
    index = FRONTEND_DIR / "index.html"
    if not index.is_file():
        return JSONResponse(
            {"code": "not_found", "message": "Halaman dompet tidak ditemukan.",
             "message_en": "Wallet page not found.", "details": {"path": str(index)}},
            status_code=404)
    return FileResponse(index, media_type="text/html; charset=utf-8", headers=NO_CACHE)


@router.get("/", include_in_schema=False)
def home() -> Response:
    return _page()


@router.get("/wallet", include_in_schema=False)
def wallet_page() -> Response:
    return _page()


@lru_cache(maxsize=4)
def _gzipped(path: Path, mtime_ns: int, size: int) -> bytes:  # noqa: ARG001 - cache key
    return gzip.compress(path.read_bytes(), compresslevel=9)


def _vendor_js(request: Request, path: Path, name: str) -> Response:
    """A script from node_modules, gzipped when the browser accepts it (~4x smaller on the
    wire, which is what matters on a slow phone connection)."""
    if not path.is_file():
        return JSONResponse(
            {"code": "not_found", "message": f"{name} belum terpasang (jalankan npm ci).",
             "message_en": f"{name} is not installed (run npm ci).",
             "details": {"path": f"node_modules/{name}/dist/{path.name}"}},
            status_code=404)
    stat = path.stat()
    etag = f'"{name}-{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {"Cache-Control": VENDOR_MAX_AGE, "ETag": etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
        return Response(body, media_type="text/javascript; charset=utf-8",
                        headers=headers | {"Content-Encoding": "gzip"})
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/vendor/ethers.umd.min.js", include_in_schema=False)
def ethers_js(request: Request) -> Response:
    """ethers v6 from node_modules."""
    return _vendor_js(request, ETHERS_PATH, "ethers")


@router.get("/vendor/jsQR.js", include_in_schema=False)
def jsqr_js(request: Request) -> Response:
    """jsQR from node_modules: reads a receipt's QR code from a photo the member picks; the
    page loads it only then."""
    return _vendor_js(request, JSQR_PATH, "jsqr")


class PageModules(StaticFiles):
    """frontend/ with every file revalidated (a 304 when unchanged): the page is several ES
    modules, and a phone must never run a cached old module with a new one."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response


@router.get("/docs", include_in_schema=False)
def api_docs() -> Response:
    """Swagger UI from node_modules: it works on a machine without internet."""
    if not (SWAGGER_DIR / "swagger-ui-bundle.js").is_file():
        return JSONResponse(
            {"code": "not_found", "message": "swagger-ui-dist belum terpasang (jalankan npm ci).",
             "message_en": "swagger-ui-dist is not installed (run npm ci).",
             "details": {"path": "node_modules/swagger-ui-dist"}}, status_code=404)
    return FileResponse(DOCS_DIR / "docs.html", media_type="text/html; charset=utf-8",
                        headers=NO_CACHE)


@router.get("/vendor/swagger-ui/{name}", include_in_schema=False)
def swagger_asset(name: str) -> Response:
    if name == "docs.js":
        return FileResponse(DOCS_DIR / "docs.js", media_type="text/javascript; charset=utf-8",
                            headers=NO_CACHE)
    path = SWAGGER_DIR / name
    if name not in SWAGGER_FILES or not path.is_file():
        return JSONResponse({"code": "not_found", "message": "Berkas tidak ditemukan.",
                             "message_en": "File not found.", "details": {"name": name[:100]}},
                            status_code=404)
    return FileResponse(path, media_type=SWAGGER_FILES[name],
                        headers={"Cache-Control": VENDOR_MAX_AGE})


def install_pages(app: FastAPI) -> None:
    """Adds the page routes and mounts frontend/ at /static. Call it last in create_app."""
    app.include_router(router)
    if FRONTEND_DIR.is_dir():
        app.mount("/static", PageModules(directory=FRONTEND_DIR), name="static")
