"""The JSON API's plumbing: one table of operations that both routes requests and writes the
OpenAPI document served at `/api/openapi.json`, so the two cannot drift.

A feature declares its endpoints on an `ApiRouter` (method, path, summary, parameters,
request fields, responses) with thin handlers that call its service. The wrapper built here
does everything that is the same for every endpoint: it answers 401 without a session,
checks the CSRF token on state-changing methods, reads a JSON object body under a size cap,
type-checks the declared fields and query parameters (400 naming the field), applies the
posting budget, and turns domain errors into JSON errors. Rules stay in the services and
permissions in the policy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from artme_cop import __version__
from artme_cop.conversations.service import author_payload
from artme_cop.errors import ConfirmationNeeded, Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unavailable
from artme_cop.identity import service as identity
from artme_cop.policy import Actor
from artme_cop.ratelimit import Budget
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web import csrf
from artme_cop.web.auth import actor_of, note_denial
from artme_cop.web.json_errors import API_PREFIX, error_response

CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A post is at most 10,000 characters; escaped as \uXXXX surrogate pairs that is 120,000
# bytes, so 128 KiB holds any valid request and refuses early what could not be one.
JSON_BODY_LIMIT = 128 * 1024
MAX_INT = 2**31 - 1

DOMAIN_STATUS: dict[type[DomainError], int] = {ConfirmationNeeded: 409, NotFound: 404, Forbidden: 403, Invalid: 400, Conflict: 409, RateLimited: 429, Unavailable: 503}

API_DESCRIPTION = """\
The JSON API of the ARTME community of practice server, over the same services as its pages.

**Authentication.** Sign in through the web form (`POST /login`); the API uses the same
session cookie. Without a session every operation except this document answers 401.

**CSRF.** Every POST, PUT, PATCH and DELETE must carry the header `X-CSRF-Token` with the
session's token (from `GET /api/session`, or any page's forms), and a request body must be
`Content-Type: application/json`. A request without the token gets 403 `csrf_failed`, one
with another body type 415 `unsupported`; a request a browser marks as cross-site (a foreign
`Origin`, or `Sec-Fetch-Site: cross-site`) gets 403 `cross_site`. Nothing changes on refusal.

**Errors.** Every error is `{"error": {"code", "message", "field"}}`: 400 `invalid` (bad
input; `field` names the culprit), 401 `sign_in_required`, 403 `forbidden` / `csrf_failed` /
`cross_site`, 404 `not_found` (also for anything you may not see: hidden and missing look
the same), 405 `method_not_allowed`, 409 `conflict`, 413 `too_large`, 415 `unsupported`,
429 `rate_limited` (with `Retry-After`).

**Pagination.** Thread lists are keyset-paged: pass the `next_cursor` of a page as `cursor`
to get the next; it is null on the last page. A thread's posts are numbered by `seq`
(1, 2, 3, ... with no gaps); read them by `page` or, to catch up, by `after_seq`. Search
results page by `cursor` as well; notifications, the moderation queue and warnings by
`before`: pass a page's `next_before` to get the older ones.

**Idempotency.** Starting a thread and replying take a `client_msg_id` chosen by the
client; sending the same one again returns the first result and stores nothing twice.
"""


class ApiFailure(Exception):
    """A refusal by the API layer itself (session, CSRF, body, types), before any service."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.field, headers=self.headers)


def _invalid(name: str, message: str) -> ApiFailure:
    return ApiFailure(400, "invalid", message, name)


def domain_error_response(exc: DomainError) -> JSONResponse:
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    if isinstance(exc, NotFound):
        # Same text for a missing and a hidden object (SEC-A2); the service names only the kind.
        return error_response(404, exc.code, f"There is no such {exc.message}, or you may not see it.")
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(status, exc.code, exc.message, exc.field, headers=headers)


# --- fields and parameters ----------------------------------------------------------------------

STRING, INTEGER, BOOLEAN, ID_OR_SLUG = "string", "integer", "boolean", "id_or_slug"
IDS = "ids"  # a list of row ids: integers from 1 to 2^31-1, at most `max_items` of them


def _check_text(name: str, value: str) -> str:
    # Lone surrogates cannot be stored as UTF-8 and NUL is refused by PostgreSQL: both are 400s
    # here, never a database error (SEC-J3, SEC-J4).
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(name, f"{name} must be text without unpaired surrogates.") from None
    if "\x00" in value:
        raise _invalid(name, f"{name} must not contain NUL characters.")
    return value


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Field:
    """One member of a JSON request body: its type for the checks and for the document."""

    name: str
    kind: str
    description: str
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    max_items: int | None = None

    def check(self, value: object) -> object:
        if value is None and self.nullable:
            return None
        if self.kind == IDS:
            return self._check_ids(value)
        if self.kind == BOOLEAN and isinstance(value, bool):
            return value
        if self.kind in (INTEGER, ID_OR_SLUG) and _is_integer(value):
            if not 0 <= int(value) <= MAX_INT:  # type: ignore[call-overload]
                raise _invalid(self.name, f"{self.name} is out of range.")
            return value
        if self.kind in (STRING, ID_OR_SLUG) and isinstance(value, str):
            return _check_text(self.name, value)
        raise _invalid(self.name, f"{self.name} must be {self._type_words()}.")

    def _check_ids(self, value: object) -> list[int]:
        if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) and 0 < item <= MAX_INT for item in value):
            raise _invalid(self.name, f"{self.name} must be {self._type_words()}.")
        if not value:
            raise _invalid(self.name, f"{self.name} must not be empty.")
        if self.max_items is not None and len(value) > self.max_items:
            raise _invalid(self.name, f"{self.name} can hold at most {self.max_items} ids.")
        return list(value)

    def _type_words(self) -> str:
        words = {STRING: "a string", INTEGER: "an integer", BOOLEAN: "true or false", ID_OR_SLUG: "an id or a slug", IDS: "a list of ids"}[self.kind]
        return f"{words} or null" if self.nullable else words

    def schema(self) -> dict[str, Any]:
        if self.kind == IDS:
            items: dict[str, Any] = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT}, "minItems": 1, "description": self.description}
            return items | ({"maxItems": self.max_items} if self.max_items else {})
        types: list[str] = {STRING: ["string"], INTEGER: ["integer"], BOOLEAN: ["boolean"], ID_OR_SLUG: ["integer", "string"]}[self.kind]
        if self.nullable:
            types = [*types, "null"]
        schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types, "description": self.description}
        if self.kind in (INTEGER, ID_OR_SLUG):
            schema["minimum"] = 0
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.max_length:
            schema["maxLength"] = self.max_length
        return schema


@dataclass(frozen=True)
class Param:
    """A path or query parameter. Path ids stay text: the services answer 404 for a malformed
    id exactly as for a missing one, so ids cannot be probed by their shape."""

    name: str
    location: str  # "path" or "query"
    kind: str
    description: str
    enum: tuple[str, ...] | None = None
    minimum: int = 0

    def parse(self, raw: str | None) -> object:
        if raw is None or raw == "":
            return None
        if self.kind == INTEGER:
            if not (raw.isascii() and raw.isdigit()) or not self.minimum <= int(raw) <= MAX_INT:
                raise _invalid(self.name, f"{self.name} must be a whole number from {self.minimum} to {MAX_INT}.")
            return int(raw)
        if self.kind == BOOLEAN:
            if raw not in ("true", "false", "1", "0"):
                raise _invalid(self.name, f"{self.name} must be true or false.")
            return raw in ("true", "1")
        if self.enum and raw not in self.enum:
            raise _invalid(self.name, f"{self.name} must be one of: {', '.join(self.enum)}.")
        return _check_text(self.name, raw)

    def document(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": ["integer", "string"] if self.kind == ID_OR_SLUG else self.kind}
        if self.kind == INTEGER:
            schema["minimum"] = self.minimum
        if self.enum:
            schema["enum"] = list(self.enum)
        return {"name": self.name, "in": self.location, "required": self.location == "path", "description": self.description, "schema": schema}


def path_id(name: str, what: str) -> Param:
    return Param(name, "path", INTEGER, f"The {what}'s id.", minimum=1)


def query(name: str, kind: str, description: str, *, enum: tuple[str, ...] | None = None, minimum: int = 0) -> Param:
    return Param(name, "query", kind, description, enum=enum, minimum=minimum)


# --- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What a handler answers: data for a JSON body (None for 204), a status, extra headers."""

    data: object = None
    status: int = 200
    headers: dict[str, str] | None = None

    def response(self) -> Response:
        if self.status == 204:
            return Response(status_code=204, headers=self.headers)
        return JSONResponse(self.data, status_code=self.status, headers=self.headers)


def ok(data: object) -> Result:
    return Result(data)


def created(data: object, location: str) -> Result:
    return Result(data, 201, {"Location": location})


def no_content() -> Result:
    return Result(None, 204)


@dataclass
class ApiCall:
    """One request as a handler sees it: who, the path ids, and the checked query and body."""

    request: Request
    signed_in: Actor | None
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]

    @property
    def actor(self) -> Actor:
        assert self.signed_in is not None, "only public operations run without a session"
        return self.signed_in

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.request.app.state.uow(read_only=read_only)  # type: ignore[no-any-return]

    async def spend(self, budget: Budget) -> None:
        """Count an expensive request that only some calls make (document 429 in `errors`)."""
        await self.request.app.state.rate_limiter.spend(budget, self.actor.person_id)


Handler = Callable[[ApiCall], Awaitable[Result]]


@dataclass(frozen=True)
class Reply:
    """A documented success response: its status, description and schema name (None: no body)."""

    status: int
    description: str
    schema: str | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the full path under /api, as Starlette and OpenAPI both write it
    handler: Handler
    summary: str
    tag: str
    reply: Reply
    params: tuple[Param, ...] = ()
    body: tuple[Field, ...] | None = None
    errors: tuple[int, ...] = ()  # the statuses the service can answer besides the common ones
    public: bool = False
    posting: bool = False  # counts against the person's posting budget (429)
    budget: Budget | None = None  # an expensive request: counts against this budget (429)

    @property
    def operation_id(self) -> str:
        return f"{self.tag}_{self.handler.__name__}"

    def error_statuses(self) -> list[int]:
        found = set(self.errors)
        if not self.public:
            found.add(401)
        if self.method in UNSAFE_METHODS:
            found.add(403)
        if self.body is not None:
            found |= {400, 413, 415}
        if any(p.location == "query" for p in self.params):
            found.add(400)
        if any(p.location == "path" for p in self.params):
            found.add(404)
        if self.posting or self.budget is not None:
            found.add(429)
        return sorted(found)


class ApiRouter:
    """The operations of one feature, under `/api/<prefix>`, and the schemas they answer with."""

    def __init__(self, prefix: str, *, tag: str, description: str, schemas: dict[str, dict[str, Any]] | None = None) -> None:
        self.prefix = prefix
        self.tag = tag
        self.description = description
        self.schemas = dict(schemas or {})
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        reply: Reply,
        params: tuple[Param, ...] = (),
        body: tuple[Field, ...] | None = None,
        errors: tuple[int, ...] = (),
        public: bool = False,
        posting: bool = False,
        budget: Budget | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            full = f"{API_PREFIX}{self.prefix}{path}"
            self.operations.append(Operation(method, full, handler, summary, self.tag, reply, params, body, errors, public, posting, budget))
            return handler

        return register


# --- the wrapper -------------------------------------------------------------------------------------


def _check_csrf(request: Request) -> None:
    # The session's synchronizer token in a header: a cross-site page can neither read it nor
    # set a custom header without a CORS preflight, which this server never grants (SEC-E1).
    if not csrf.matches(request, request.headers.get(CSRF_HEADER)):
        raise ApiFailure(403, "csrf_failed", f"Send the session's CSRF token in the {CSRF_HEADER} header (GET /api/session gives it).")


async def _read_body(request: Request, fields: tuple[Field, ...]) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiFailure(415, "unsupported", "Send the body as JSON, with Content-Type: application/json.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > JSON_BODY_LIMIT:
            raise ApiFailure(413, "too_large", f"A request body can be at most {JSON_BODY_LIMIT} bytes.")
    try:
        document = json.loads(bytes(raw), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiFailure(400, "invalid", "The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise ApiFailure(400, "invalid", "The body must be a JSON object.")
    return _check_fields(document, fields)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_fields(document: dict[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    declared = {f.name: f for f in fields}
    for name in document:
        if name not in declared:
            raise _invalid(str(name)[:60], f"Unknown field {str(name)[:60]!r}.")
    checked: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in document:
            if spec.required:
                raise _invalid(spec.name, f"{spec.name} is required.")
            continue
        checked[spec.name] = spec.check(document[spec.name])
    return checked


def _spend_posting_budget(request: Request, actor: Actor) -> None:
    # The same per-person budget as WebSocket sends (ARTME_MESSAGE_RATE), so switching doors
    # gives no extra speed (SEC-I1).
    wait = request.app.state.realtime.send_bucket(actor.person_id).take()
    if wait:
        raise RateLimited("You are posting too fast. Wait a moment and try again.", retry_after=max(1, math.ceil(wait)))


async def _prepare(request: Request, operation: Operation) -> ApiCall:
    actor = actor_of(request)
    if actor is None and not operation.public:
        raise ApiFailure(401, "sign_in_required", "Sign in first; the API uses the session of the web sign-in.")
    if operation.method in UNSAFE_METHODS:
        _check_csrf(request)
    path = {p.name: str(request.path_params[p.name]) for p in operation.params if p.location == "path"}
    query_values = {p.name: p.parse(request.query_params.get(p.name)) for p in operation.params if p.location == "query"}
    body = await _read_body(request, operation.body) if operation.body is not None else {}
    if operation.posting and actor is not None:
        _spend_posting_budget(request, actor)
    if operation.budget is not None and actor is not None:
        await request.app.state.rate_limiter.spend(operation.budget, actor.person_id)
    return ApiCall(request, actor, path, query_values, body)


def _endpoint(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            call = await _prepare(request, operation)
            result = await operation.handler(call)
        except ApiFailure as failure:
            return failure.response()
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                note_denial(request)
            return domain_error_response(exc)
        return result.response()

    endpoint.__name__ = operation.operation_id
    return endpoint


def _starlette_path(path: str) -> str:
    return path.removeprefix(API_PREFIX)


# --- the OpenAPI document -------------------------------------------------------------------------

ERROR_TEXT = {
    400: "Bad input: malformed JSON, a missing or mistyped field (named in `field`), a bad query parameter.",
    401: "No session: sign in first.",
    403: "Refused: no permission, a missing CSRF token, or a cross-site request.",
    404: "Not found, or not yours to see (the two look the same).",
    409: "Conflicts with the object's state (for example, a removed post).",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    429: "Too many requests; wait for the seconds in Retry-After.",
}

CORE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string", "description": "invalid, sign_in_required, forbidden, csrf_failed, cross_site, not_found, method_not_allowed, conflict, too_large, unsupported, rate_limited or internal."},
                    "message": {"type": "string", "description": "A sentence that can be shown to the person."},
                    "field": {"type": ["string", "null"], "description": "The input field at fault, when one is."},
                },
            }
        },
    },
    "Author": {
        "type": "object",
        "required": ["id", "name", "pronouns"],
        "properties": {
            "id": {"type": ["integer", "null"], "description": "null for a deleted account."},
            "name": {"type": "string"},
            "pronouns": {"type": "string"},
        },
    },
    "Session": {
        "type": "object",
        "required": ["person", "csrf_token"],
        "properties": {
            "person": {"$ref": "#/components/schemas/Author"},
            "csrf_token": {"type": "string", "description": "Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE."},
        },
    },
}


def _operation_document(operation: Operation) -> dict[str, Any]:
    reply = operation.reply
    success: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        success["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{reply.schema}"}}}
    responses: dict[str, Any] = {str(reply.status): success}
    for status in operation.error_statuses():
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    document: dict[str, Any] = {"operationId": operation.operation_id, "summary": operation.summary, "tags": [operation.tag], "responses": responses}
    doc = (operation.handler.__doc__ or "").strip()
    if doc:
        document["description"] = doc
    if operation.params:
        document["parameters"] = [p.document() for p in operation.params]
    if operation.body is not None:
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.name: f.schema() for f in operation.body},
            "required": [f.name for f in operation.body if f.required],
        }
        document["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if operation.public:
        document["security"] = []
    elif operation.method in UNSAFE_METHODS:
        document["security"] = [{"session": [], "csrfToken": []}]
    return document


def openapi_document(routers: list[ApiRouter], *, base_url: str, cookie_name: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas = dict(CORE_SCHEMAS)
    for router in routers:
        schemas.update(router.schemas)
        for operation in router.operations:
            paths.setdefault(operation.path, {})[operation.method.lower()] = _operation_document(operation)
    error_ref = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ARTME Community of Practice API", "version": __version__, "description": API_DESCRIPTION},
        "servers": [{"url": base_url}],
        "tags": [{"name": router.tag, "description": router.description} for router in routers],
        "security": [{"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": cookie_name, "description": "The session cookie set by the web sign-in."},
                "csrfToken": {"type": "apiKey", "in": "header", "name": CSRF_HEADER, "description": "The session's CSRF token, required on state-changing methods."},
            },
            "schemas": schemas,
            "responses": {
                f"Error{status}": {"description": text, "content": {"application/json": {"schema": error_ref}}} for status, text in ERROR_TEXT.items()
            },
        },
    }


# --- the API's own endpoints and the mount ----------------------------------------------------------


def core_router(feature_routers: list[ApiRouter]) -> ApiRouter:
    """The document itself and the session endpoint that hands out the CSRF token."""
    router = ApiRouter("", tag="api", description="This document and the session.")

    @router.operation("GET", "/openapi.json", summary="This OpenAPI document", reply=Reply(200, "The OpenAPI 3.1 document.", None), public=True)
    async def openapi(call: ApiCall) -> Result:
        """Readable without a session."""
        state = call.request.app.state
        return ok(openapi_document([router, *feature_routers], base_url=state.settings.base_url, cookie_name=state.session_cookie))

    @router.operation("GET", "/session", summary="Who is signed in, and the CSRF token", reply=Reply(200, "The signed-in person and the session's CSRF token.", "Session"))
    async def session(call: ApiCall) -> Result:
        actor = call.actor
        async with call.uow(read_only=True) as uow:
            person = await identity.get_profile(uow, actor)
        return ok({"person": author_payload(person), "csrf_token": csrf.token(call.request)})

    return router


def api_routes(feature_routers: list[ApiRouter]) -> list[BaseRoute]:
    """Starlette routes for every operation, to mount at /api. A new feature adds its router
    to the list given here (in create_app) and appears in the document at the same time."""
    by_path: dict[str, dict[str, Operation]] = {}
    for router in [core_router(feature_routers), *feature_routers]:
        for operation in router.operations:
            by_path.setdefault(operation.path, {})[operation.method] = operation
    return [Route(_starlette_path(path), _dispatch(operations), methods=list(operations), name=path) for path, operations in by_path.items()]


def _dispatch(operations: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    """One route per path, so that a wrong method gets 405 with every allowed method listed."""
    endpoints = {method: _endpoint(operation) for method, operation in operations.items()}

    async def endpoint(request: Request) -> Response:
        return await endpoints["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
