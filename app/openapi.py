"""The OpenAPI document: FastAPI's, completed from the route-policy table, and rendered the
same way for the file and for the test that checks it.

FastAPI knows a route's body, parameters and answer model; what the edge does around every
route it cannot see. `complete` adds that in one pass, from each route's `Policy` (its gate,
whether its answer is kept, whether it takes `?api_key=` or an upload) and its methods:

- security: reads allow anonymous callers (when the deployment does, the default), scoped
  gates need a key; `?api_key=` where the route takes it;
- request headers: `If-Match` where an editor changes an object that exists,
  `If-None-Match`/`If-Modified-Since` on kept GETs, `Idempotency-Key` on every POST;
- response headers: `X-Request-ID` and `Cache-Control` everywhere, the rate-limit fields on
  every gated answer, validators and `Surrogate-Key` on kept answers, `Link` on lists,
  `Location` on 201s, `Retry-After` on 429, `Allow` on 405;
- errors: every 4xx/5xx is `application/problem+json` with the `Problem` schema, and each
  operation lists the ones the edge and the route can give (FastAPI's `HTTPValidationError`
  is not what Byline sends: its 422 is a Problem with `errors`);
- the 3.2 `itemSchema` FastAPI writes for streams becomes a plain string schema (3.1).
"""

import copy
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from app.etags import ENTITY_TAGS
from app.policy import Policy, policy_of

REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_TYPE = "application/problem+json"
READ_GATES = frozenset({"read", "read or preview link"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Models that routes describe by hand (a body FastAPI does not parse), added to components.
_extra_models: dict[str, type[BaseModel]] = {}


def component(model: type[BaseModel]) -> dict[str, str]:
    """A `$ref` to `model` in components/schemas, where the document will define it (with
    every model it refers to): for `openapi_extra` bodies that FastAPI does not see."""
    _extra_models[model.__name__] = model
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def properties_of(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON-schema properties, their references pointing into components (as
    `component` adds them): for a form that lists a model's fields beside a file."""
    component(model)
    return model.model_json_schema(ref_template=REF_TEMPLATE)["properties"]


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": _header(
        "This request's id (the caller's own when it sent a safe one); problems carry it too."
    ),
    "Cache-Control": _header(
        "`public, max-age=..., stale-while-revalidate=...` for published content the same "
        "for every reader; `private` or `no-store` for anything else."
    ),
    "ETag": _header(
        "A strong validator of these bytes. For an object with a `version`, `If-Match` on "
        "its next change names it."
    ),
    "Last-Modified": _header("When this answer last changed (an HTTP date)."),
    "Surrogate-Key": _header(
        "Space-separated tags (`article:<id> section:<slug> ...`) a CDN purges by."
    ),
    "Link": _header('RFC 8288: `<next page URL>; rel="next"` while there is one.'),
    "Location": _header("Where the object made (or the link created) is."),
    "RateLimit-Policy": _header('IETF RateLimit-Policy, e.g. `"key";q=600;w=60`.'),
    "RateLimit": _header('IETF RateLimit, e.g. `"key";r=599;t=42`.'),
    "RateLimit-Limit": _header("Requests allowed in the window.", {"type": "integer"}),
    "RateLimit-Remaining": _header("Requests left in the window.", {"type": "integer"}),
    "RateLimit-Reset": _header("Seconds until the window resets.", {"type": "integer"}),
    "Retry-After": _header("Seconds to wait before trying again.", {"type": "integer"}),
    "WWW-Authenticate": _header('`Bearer realm="byline"`.'),
    "Allow": _header("The methods this path takes."),
}
RATE_LIMIT_HEADERS = (
    "RateLimit-Policy",
    "RateLimit",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)


# What the service reads each header as, so that a client (or a generator of requests)
# knows what a well-formed value is: entity tags as RFC 9110 writes them, an HTTP date.
_ENTITY_TAGS = ENTITY_TAGS


def _parameter(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
        **extra,
    }


def _if_match(required: bool) -> dict[str, Any]:
    if required:
        said = "Required: 428 without it, 412 when the object was saved since."
    else:
        said = "Optional: with it, 412 when the object was saved since."
    return _parameter(
        "If-Match",
        f"The ETag of the version you edited (from your last GET or write). {said}",
        {"pattern": _ENTITY_TAGS},
        required=required,
    )


# RFC 9110: a recipient ignores a conditional GET header it cannot read, so the document
# describes their form without requiring it.
IF_NONE_MATCH = _parameter(
    "If-None-Match",
    'ETags you hold (`"3-a1b2c3"`, comma-separated, or `*`): 304 when one is current.',
    {},
)
IF_MODIFIED_SINCE = _parameter(
    "If-Modified-Since",
    "An HTTP date (`Sun, 25 May 2025 14:16:00 GMT`): 304 when the answer has not changed "
    "since. One that is not a date is ignored.",
    {},
)
IDEMPOTENCY_KEY = _parameter(
    "Idempotency-Key",
    "1 to 255 printable ASCII characters: a retry with the same key and body gets the first "
    "answer, never a twin; the same key with another body is a 422.",
    {"pattern": r"^[\x20-\x7e]{1,255}$"},
)


def _scheme_requirements(policy: Policy) -> list[dict[str, list[str]]]:
    schemes: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    if policy.query_key:
        schemes.append({"APIKeyQuery": []})
    if policy.gate.name in READ_GATES:
        # An empty requirement first: anonymous callers may read (ALLOW_ANONYMOUS_READS).
        return [{}, *schemes]
    return schemes


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _data_properties(doc: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The properties of a JSON answer's envelope and, for one object, of its `data`."""
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return {}
    envelope = _resolve(doc, schema).get("properties", {})
    data = envelope.get("data", {})
    inner = _resolve(doc, data).get("properties", {}) if "$ref" in data else {}
    return {**envelope, **{f"data.{k}": v for k, v in inner.items()}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }


def _error_codes(
    operation: dict[str, Any], method: str, policy: Policy | None, if_match: bool | None
) -> set[int]:
    """The problems this operation can answer: what the route declares and what the edge adds."""
    declared = {int(code) for code in operation.get("responses", {}) if int(code) >= 400}
    codes = {500} | (declared - {412, 413, 415, 428})
    if policy is None:
        return codes
    codes |= {400, 401, 403, 405, 429}
    has_params = bool(operation.get("parameters")) or "requestBody" in operation
    if has_params:
        codes.add(422)
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        codes.add(404)
    if method in BODY_METHODS:
        codes |= {413, 415}
    if method == "POST":
        codes |= {409, 422}  # an Idempotency-Key in use, or reused with another body
    if if_match is not None:
        codes.add(412)
        if if_match:
            codes.add(428)
    return codes


def _if_match_of(route: Any, method: str) -> bool | None:
    """Whether the route reads If-Match: None when not, else whether it is required.

    An editor dependency (`EditorDep`, `AdminEditorDep`) on a route that changes an object
    that exists: PATCH and DELETE need it (428 without), a POST under the object's path (an
    action: publish, restore, rotate a secret) takes it when sent."""
    from app.editorial import EDITOR_DEPENDENCIES

    stack, found = [route.dependant], False
    while stack and not found:
        dependant = stack.pop()
        found = dependant.call in EDITOR_DEPENDENCIES
        stack.extend(dependant.dependencies)
    if not found:
        return None
    if method in ("PATCH", "DELETE"):
        return True
    if method == "POST" and "{" in route.path_format:
        return False
    return None


def _headers_of(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _complete_operation(
    doc: dict[str, Any],
    method: str,
    operation: dict[str, Any],
    route: Any,
    policy: Policy | None,
    problems: dict[int, str],
) -> None:
    operation["operationId"] = route.name
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    choices = body.get("schema", {}).get("anyOf", [])
    if len(choices) == 2 and {"type": "null"} in choices:
        # An optional body is one that may be left out, not one that may be `null`: say so
        # the way generators read it (they would send `null`, or fail, for "not given").
        body["schema"] = next(c for c in choices if c != {"type": "null"})
        operation["requestBody"]["required"] = False
    if_match = _if_match_of(route, method) if policy is not None else None
    kept = policy is not None and policy.kept and method == "GET"
    parameters = operation.setdefault("parameters", [])
    if if_match is not None:
        parameters.append(_if_match(if_match))
    if kept:
        parameters += [IF_NONE_MATCH, IF_MODIFIED_SINCE]
    if policy is not None and method == "POST":
        parameters.append(IDEMPOTENCY_KEY)
    if not parameters:
        del operation["parameters"]
    if policy is not None:
        operation["security"] = _scheme_requirements(policy)
        if policy.gate.name not in READ_GATES:
            scope = f"Needs a key with the `{policy.gate.name}` scope."
            operation["description"] = f"{operation.get('description', '').rstrip()}\n\n{scope}"
        else:
            anonymous = "No key needed unless the deployment turns anonymous reads off."
            operation["description"] = f"{operation.get('description', '').rstrip()}\n\n{anonymous}"
        operation["description"] = operation["description"].lstrip()

    responses = operation.setdefault("responses", {})
    codes = _error_codes(operation, method, policy, if_match)
    for code in [c for c in responses if int(c) >= 400 and int(c) not in codes]:
        del responses[code]
    for code in sorted(codes):
        description = responses.get(str(code), {}).get("description")
        if not description or code == 422:  # FastAPI's "Validation Error"
            description = problems[code]
        responses[str(code)] = _problem(description)
    if kept:
        responses["304"] = {"description": "Not modified: the copy you hold is current."}

    for code, response in responses.items():
        status = int(code)
        for content in response.get("content", {}).values():
            if content.pop("itemSchema", None) is not None or not content.get("schema"):
                # A stream of events (3.1 has no schema per event): described, not typed.
                content["schema"] = {"description": "Server-Sent Events, as the text says."}
        names = ["X-Request-ID", "Cache-Control"]
        if policy is not None:
            names += RATE_LIMIT_HEADERS
        props = _data_properties(doc, response) if 200 <= status < 300 else {}
        if kept and status in (200, 304):
            names += ["ETag", "Last-Modified", "Surrogate-Key"]
        elif "data.version" in props:
            names.append("ETag")
        if "links" in props and "meta" in props:
            names.append("Link")
        if status == 201:
            names.append("Location")
        if status == 401:
            names.append("WWW-Authenticate")
        if status == 405:
            names.append("Allow")
        if status == 429:
            names.append("Retry-After")
        response["headers"] = {**response.get("headers", {}), **_headers_of(names)}


def _add_components(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, model in sorted(_extra_models.items()):
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        for def_name, definition in {**schema.pop("$defs", {}), name: schema}.items():
            if def_name in schemas and schemas[def_name] != definition:
                raise RuntimeError(f"two different schemas are both named {def_name}")
            schemas[def_name] = definition
    components["headers"] = copy.deepcopy(HEADERS)
    components.setdefault("securitySchemes", {})["APIKeyQuery"] = {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "The key as `?api_key=`, on feeds and the stream only (feed readers "
        "and EventSource cannot send headers).",
    }


def complete(doc: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """`doc` (FastAPI's document of `routes`) with what each route's policy implies."""
    from app.schemas import PROBLEMS

    for route in iter_route_contexts(list(routes)):
        if not getattr(route, "include_in_schema", False) or not getattr(route, "methods", None):
            continue
        policy = policy_of(route)
        for method in route.methods:
            operation = doc["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete_operation(doc, method, operation, route, policy, PROBLEMS)
    _add_components(doc)
    schemas = doc["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return doc


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            base = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = complete(base, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> bytes:
    """The OpenAPI document of `app`, as `openapi/openapi.json` keeps it."""
    return (json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n").encode()
