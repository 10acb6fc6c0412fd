"""The HTTP API of contract/worker-api.json: routes, the site's secret check, JSON errors.

Every request authenticates as one site (tenants.py), and a site sees only its own runs: another site's run
answers 404, exactly like an unknown one. Request bodies carry API keys: they are validated and stored,
never logged.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import jsonschema
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .contract import load_contract
from .fleet import FleetState
from .image_store import ImageStore
from .jobs import Jobs
from .endpoints import EndpointKeyRequired, resolve_endpoint
from .scheduler import Share, acting_as, item_shares, run_tag
from .sealed import CALLBACK_SECRET_FIELD, seal_request, seal_text
from .settings import OPENAI_DEFAULT_BASE_URL, Settings
from .store import DEFAULT_SITE, RunStore
from .tenants import Site, SiteRegistry

if TYPE_CHECKING:
    from .pipeline import Pipeline

log = logging.getLogger(__name__)

CONTRACT_URI = "urn:atai:worker-api"
# seen_keys may hold 20,000 keys of 64 characters: about 1.4 MB of JSON.
MAX_BODY_BYTES = 4 * 1024 * 1024

blueprint = Blueprint("atai", __name__)


@dataclass(frozen=True)
class Services:
    """What the routes share, built once by create_app."""

    settings: Settings
    store: RunStore
    jobs: Jobs
    fleet: FleetState
    sites: SiteRegistry
    # The stages discovery and preview use: the same fetcher rules and pipeline as the consumer's runs, and
    # the fleet's shared model slots. Built with the first of them, so an idle API does not load them.
    stages: Callable[[], "Pipeline"]
    images: ImageStore


def services() -> Services:
    """The current application's shared services."""
    return current_app.extensions["atai"]


format_checker = jsonschema.FormatChecker(formats=())


@format_checker.checks("uri")
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(c.isspace() for c in value)


@format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@functools.cache
def contract_validator(schema_name: str) -> jsonschema.Draft202012Validator:
    """A validator for one of the contract's component schemas, resolving $ref within the contract."""
    registry = Registry().with_resource(
        CONTRACT_URI, Resource.from_contents(load_contract(), default_specification=DRAFT202012))
    schema = {"$ref": f"{CONTRACT_URI}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=format_checker)


class ApiError(Exception):
    """An error answer: HTTP status, stable code, message in words, and for 400 the field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(status: int, code: str, message: str, field: str | None = None):
    """The contract's Error as a response; `field` is sent with 400 answers only."""
    body = {"error": {"code": code, "message": message}}
    if status == 400:
        body["error"]["field"] = field
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="atai-worker"'
    return response


def describe_error(error: jsonschema.ValidationError) -> tuple[str, str]:
    """(dotted field, message in words) for a schema violation; never quotes the value (it may be a key)."""
    path = [str(p) for p in error.absolute_path]
    instance, value = error.instance, error.validator_value
    if error.validator == "required" and isinstance(instance, dict):
        missing = next(name for name in value if name not in instance)
        field = ".".join(path + [missing])
        return field, f"request: {field} is required"
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(name for name in instance if name not in known)[0]
        field = ".".join(path + [extra])
        return field, f"request: {field} is not a field this API knows"
    field = ".".join(path) or "body"
    name = field if path else "the body"
    if error.validator == "type":
        types = value if isinstance(value, list) else [value]
        words = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
                 "object": "a JSON object", "array": "a list", "null": "null"}
        return field, f"request: {name} must be " + " or ".join(words.get(t, t) for t in types)
    if error.validator == "pattern":
        if value == "^https?://":
            return field, f"request: {name} must be a full http:// or https:// URL"
        if value == "^[0-9a-f]{64}$":
            return field, f"request: {name} must be an item key (64 lowercase hexadecimal characters)"
        return field, f"request: {name} does not have the expected form"
    if error.validator == "format":
        if value == "uri":
            return field, f"request: {name} must be a full http:// or https:// URL"
        return field, f"request: {name} must be a {value}"
    if error.validator == "enum":
        return field, f"request: {name} must be one of " + ", ".join(json.dumps(v) for v in value)
    if error.validator == "minItems" and value == 1:
        return field, f"request: {name} must not be empty"
    phrases = {
        "minimum": f"must be at least {value}", "maximum": f"must be at most {value}",
        "minLength": f"must be at least {value} characters long", "maxLength": f"must be at most {value} characters long",
        "minItems": f"must have at least {value} entries", "maxItems": f"must have at most {value} entries",
    }
    return field, f"request: {name} " + phrases.get(error.validator, f"is not valid ({error.validator})")


def json_body(schema_name: str) -> dict:
    """The request body parsed and validated against a contract schema, or an ApiError(400)."""
    data = request.get_data(cache=False)
    # A chunked body has no Content-Length to refuse up front; werkzeug stops reading it at the limit and
    # hands over what it read, which would be answered "not valid JSON". Anything left unread means 413.
    if len(data) >= MAX_BODY_BYTES and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    try:
        body = json.loads(data or b"")
    except ValueError:
        raise ApiError(400, "invalid_json", "request: the body is not valid JSON") from None
    problem = jsonschema.exceptions.best_match(contract_validator(schema_name).iter_errors(body))
    if problem is not None:
        field, message = describe_error(problem)
        raise ApiError(400, "invalid_request", message, field)
    return body


@blueprint.before_request
def require_site():
    """Every route but /healthz needs a site's secret (compared in constant time); the site goes in g.site."""
    if request.endpoint == "atai.healthz":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    site = services().sites.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if site is None:
        return error_response(401, "unauthorized", "auth: missing or wrong secret; send the header "
                                                   "'Authorization: Bearer <secret>' with ATAI_WORKER_SECRET or the "
                                                   "site's token '<site id>:<secret>' from 'atai-worker sites add'")
    g.site = site
    return None


def current_site() -> Site:
    """The site the request authenticated as."""
    return g.site


def own_run(run_id: str) -> bool:
    """True when the run exists and belongs to the requesting site; another site's run is as unknown."""
    return _is_run_id(run_id) and services().store.site_of(run_id) == current_site().id


@blueprint.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@blueprint.get("/v1/status")
def status():
    svc = services()
    settings = svc.settings
    base_url = settings.openai_base_url or (OPENAI_DEFAULT_BASE_URL if settings.openai_api_key else None)
    return jsonify({
        "version": worker_version(),
        "contract": contract_version(),
        "ai": {"configured": settings.ai_configured, "base_url": base_url,
               "model": settings.model, "max_in_flight": settings.ai_max_in_flight},
        "queue": {"backend": svc.jobs.backend, "pending": svc.jobs.pending_count()},
    })


@blueprint.post("/v1/ai/models")
def ai_models():
    """The models the AI endpoint offers, for the settings page."""
    from . import probe  # the openai SDK loads with the first probe, not in an idle API

    return jsonify(probe.models(json_body("AiProbeRequest")["ai"], services().settings))


@blueprint.post("/v1/ai/test")
def ai_test():
    """One real, small call to the AI endpoint with the configured key and model."""
    body = json_body("AiProbeRequest")
    from . import probe

    svc = services()
    site = current_site()
    gate = svc.stages().rewriter.gate

    @contextmanager
    def slot(endpoint):
        # A slot of the endpoint's shared limit, within the site's own limits, like a run's calls: ahead of
        # the items waiting (a person waits on it), and given up when none comes free in time.
        deadline = time.monotonic() + probe.PROBE_TIMEOUT
        share = Share(site.id, 0.0, site.max_in_flight, site.rate_per_minute,
                      stopped=lambda: time.monotonic() > deadline)
        with acting_as(share), gate(endpoint).slot(ahead=True):
            yield

    return jsonify(probe.test(body["ai"], svc.settings, slot))


@blueprint.post("/v1/runs")
def create_run():
    body = json_body("RunRequest")
    svc = services()
    site = current_site()
    callback_url = body.get("callback_url")
    if callback_url and not site.allows_callback(callback_url):
        raise ApiError(400, "invalid_request", f"request: callback_url is not allowed for site {site.id}: it must "
                                               f"match {site.callback_url_pattern}", "callback_url")
    run_id = uuid.uuid4().hex
    try:
        _, rewrite = resolve_endpoint(body["ai"], svc.settings)
    except EndpointKeyRequired as exc:
        raise ApiError(400, "invalid_request", exc.message, "ai.api_key") from None
    # The AI key is stored sealed: the run store is a file, or a Redis, that others may read.
    stored = seal_request(body, svc.settings.worker_secret)
    if callback_url and site.id != DEFAULT_SITE:
        # The callback is signed with the token this request came with (the registry keeps only its hash):
        # sealed like the AI key, and forgotten with the request when the run finishes.
        token = request.headers["Authorization"].partition(" ")[2].strip()
        stored[CALLBACK_SECRET_FIELD] = seal_text(token, svc.settings.worker_secret)
    svc.store.create_run(run_id, body["feed"]["id"], stored, rewrite, site.id)
    try:
        svc.jobs.enqueue(run_id, run_tag(svc.fleet, site))
    except Exception:
        # The run is stored, and the store is what counts: the consumer's reaper enqueues a queued run
        # that has no task. Answering 500 here would only make the plugin send the run twice.
        log.exception("enqueue failed, the reaper will pick the run up run_id=%s", run_id)
    log.info("run queued run_id=%s feed_url=%s", run_id, body["feed"]["url"])
    return jsonify({"run_id": run_id, "state": "queued"}), 202


@blueprint.post("/v1/discover")
def discover_feeds():
    body = json_body("DiscoverRequest")
    from . import discover  # lxml and feedparser load with the first discovery, not in an idle API

    return jsonify(discover.discover(body["url"], services().stages().fetcher))


@blueprint.post("/v1/preview")
def preview_feed():
    body = json_body("PreviewRequest")
    from . import preview  # the stages load with the first preview, not in an idle API

    svc = services()
    site = current_site()
    # The preview's model calls take the site's turn among every site's items, and count against the
    # endpoint's shared limit and the site's own, like a run's.
    share = item_shares(svc.fleet, site, 1)[0] if body.get("rewrite") else Share(site.id)
    pipeline = svc.stages()
    try:
        answer = preview.preview(body, fetcher=pipeline.fetcher, pipeline=pipeline, settings=svc.settings,
                                 share=share)
    except EndpointKeyRequired as exc:
        raise ApiError(400, "invalid_request", exc.message, "ai.api_key") from None
    return jsonify(answer)


@blueprint.get("/v1/runs/<run_id>")
def get_run(run_id: str):
    document = services().store.run_json(run_id) if own_run(run_id) else None
    if document is None:
        raise ApiError(404, "run_not_found", f"runs: no run {run_id[:64]} (finished runs are deleted once "
                                             "acknowledged, and after 7 days otherwise)")
    return Response(document, mimetype="application/json")


@blueprint.post("/v1/runs/<run_id>/ack")
def ack_run(run_id: str):
    body = json_body("AckRequest")
    result = services().store.ack(run_id, body["keys"]) if own_run(run_id) else None
    if result is None:
        raise ApiError(404, "run_not_found", f"runs: no run {run_id[:64]}")
    return jsonify(result)


@blueprint.get("/v1/images/<sha256>")
def get_image(sha256: str):
    image = services().images.get(sha256) if _is_hex(sha256, 64) else None
    if image is None:
        raise ApiError(404, "image_not_found", f"images: no image {sha256[:64]} (images are kept for 7 days "
                                               "after a draft last named them)")
    response = Response(image.body, mimetype=image.mime_type)
    # The bytes were checked, but a browser must never sniff them into something else.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and all(c in "0123456789abcdef" for c in value)


@blueprint.delete("/v1/runs/<run_id>")
def cancel_run(run_id: str):
    """The site no longer wants the run: the worker stops it and forgets it, drafts included."""
    if not (own_run(run_id) and services().store.delete_run(run_id)):
        raise ApiError(404, "run_not_found", f"runs: no run {run_id[:64]}")
    log.info("run cancelled run_id=%s site=%s", run_id, current_site().id)
    return jsonify({"run_id": run_id, "remaining": 0, "deleted": True})


def _is_run_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@functools.cache
def worker_version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("atai-worker")
    except metadata.PackageNotFoundError:
        return load_contract()["info"]["version"]


@functools.cache
def contract_version() -> str:
    """The version of the contract this worker implements (the plugin's Site Health compares it with its own)."""
    return load_contract()["info"]["version"]


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "body_too_large", 415: "unsupported_media_type"}


def register_error_handlers(app: Flask) -> None:
    """Every error is JSON, including Werkzeug's own (404 route, 405, 413) and unexpected ones."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413:
            return error_response(413, "body_too_large",
                                  f"request: the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
        code = _HTTP_CODES.get(exc.code, "http_error")
        return error_response(exc.code or 500, code, f"request: {exc.name.lower()}")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error path=%s", request.path)
        return error_response(500, "internal_error", "worker: unexpected error; see the worker log")
