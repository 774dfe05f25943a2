"""The one output contract: the `data` of a JSON answer passes through the response model its
route documents, once, when the answer is rendered.

Answers are built as plain dicts from loaded rows (cheap), then validated against the
route's `response_model` (`One[X]` or `Many[X]`) and dumped from the validated model, so
the bytes a client gets are the shape the OpenAPI document shows: a field the model does not
declare, a missing required one or a wrong type is a mismatch, never silently sent. This runs
only when the router renders (a render-cache miss); warm reads are kept bytes.

Routes that take `fields=` document `sparse(X)`: the same fields, only `id` required, since
a sparse answer leaves the others out. A full answer (no `fields=`) is still held to `X`
with every field it requires.

A mismatch raises `ResponseMismatch` (a 500) when `RESPONSE_VALIDATION=strict`, as the tests
run; in production (`log`, the default) it is logged with the failing fields and the answer
goes out as built: one field wrong must not take a story off the site, and the log names it.
"""

import logging
from functools import cache
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from app.config import get_settings

log = logging.getLogger("byline.contract")

M = TypeVar("M", bound=type[BaseModel])

# A sparse model's full counterpart.
_FULL: dict[type[BaseModel], type[BaseModel]] = {}


class ResponseMismatch(RuntimeError):
    """An answer that is not the shape its route documents."""


def _without_defaults(names: set[str]) -> Any:
    def edit(schema: dict[str, Any]) -> None:
        # A field a sparse answer leaves out is absent, not null: no default to assume.
        for name, prop in schema.get("properties", {}).items():
            if name in names:
                prop.pop("default", None)

    return edit


@cache
def sparse(model: M, *, keep: tuple[str, ...] = ("id",), name: str | None = None) -> M:
    """`model` as answers with `fields=` show it: the same fields, only those in `keep`
    required (`id`, which every item carries). The documented model keeps `model`'s name
    unless told (`name`), so a generated client has one typed class per resource."""
    overrides: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if field in keep or not info.is_required():
            continue
        overrides[field] = (info.annotation, Field(None, description=info.description))
    sparse_model = create_model(  # type: ignore[call-overload]
        name or model.__name__,
        __base__=model,
        __module__=model.__module__,
        __doc__=" ".join(
            x for x in (model.__doc__, "With `fields=`, only the fields asked for come.") if x
        ),
        __config__=None,
        **overrides,
    )
    sparse_model.model_config = ConfigDict(
        **{**model.model_config, "json_schema_extra": _without_defaults(set(overrides))}
    )
    sparse_model.model_rebuild(force=True)
    _FULL[sparse_model] = model
    return sparse_model  # type: ignore[no-any-return]


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _data_annotation(request: Request, *, sparse_answer: bool) -> Any | None:
    """The type of `data` in the matched route's response model, or None without one."""
    route = request.scope.get("route")
    envelope = getattr(route, "response_model", None)
    if not (isinstance(envelope, type) and issubclass(envelope, BaseModel)):
        return None
    field = envelope.model_fields.get("data")
    if field is None:
        return None
    annotation = field.annotation
    if sparse_answer:
        return annotation
    # A full answer is held to the full model behind a sparse one.
    origin = getattr(annotation, "__origin__", None)
    if origin is list:
        (item,) = annotation.__args__
        return list[_FULL.get(item, item)]  # type: ignore[misc]
    return _FULL.get(annotation, annotation)


def conform(request: Request, data: Any) -> Any:
    """`data` as the matched route's response model shapes it (see the module docstring)."""
    sparse_answer = bool(request.query_params.get("fields"))
    annotation = _data_annotation(request, sparse_answer=sparse_answer)
    if annotation is None:
        return data
    adapter = _adapter(annotation)
    try:
        value = adapter.validate_python(data, extra="forbid")
    except ValidationError as exc:
        problems = [f"{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]]
        if get_settings().response_validation == "strict":
            raise ResponseMismatch(
                f"{request.method} {request.url.path} answer is not {annotation}: "
                + "; ".join(problems)
            ) from None
        log.error(
            "answer differs from its documented shape",
            extra={"path": request.url.path, "problems": problems},
        )
        return data
    # Python objects (times, enums) still go out through orjson, with its `Z` times.
    return adapter.dump_python(value, exclude_unset=True)
