"""The JSON error shape of the API, `{"error": {"code", "message", "field"}}`, built in one place.

The API's endpoints, the app's exception handlers and the ASGI middlewares that answer
before any route (body cap, same-origin check) all use it, so a client under `/api/` never
gets an HTML page or a plain-text body. It knows no route and no domain rule.
"""

from __future__ import annotations

import json

from starlette.responses import JSONResponse

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def error_document(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_bytes(code: str, message: str, field: str | None = None) -> bytes:
    return json.dumps(error_document(code, message, field)).encode()


def error_response(status: int, code: str, message: str, field: str | None = None, *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_document(code, message, field), status_code=status, headers=headers)
