"""OpenAPI post-processing (drf-spectacular hook): every operation documents the API's one error shape.

Adds the ``Error`` component (``status``, ``code``, ``message``, ``errors``) and, for each
operation, the error answers it can give: 401 and 429 always, 403 where permissions
apply, 400 where input is read, 404 where the path names an object, 409 for writes.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "code", "message", "errors"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status."},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. `invalid`, `not_found`."},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field -> messages (nested for nested input, e.g. `args.lines`); empty when not a field's.",
            "additionalProperties": True,
        },
    },
}
DESCRIPTIONS = {
    "400": "Invalid input: `errors` maps each field to its messages; nothing was stored.",
    "401": "No token, or an unknown, revoked or expired one.",
    "403": "The user lacks the permission.",
    "404": "No such object.",
    "409": "Conflicts with the current state (a run still active, a run already ended, a job type not installed).",
    "429": "Too many requests for this token.",
}
PUBLIC_PATHS = ("/api/v1/schema/",)


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["401", "403", "429"]
    if method != "get" or operation.get("parameters"):
        codes.append("400")
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch", "delete"):
        codes.append("409")
    return codes


def error_responses_add(result, generator, request, public):
    """drf-spectacular ``POSTPROCESSING_HOOKS`` entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if path in PUBLIC_PATHS:
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation):
                responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": ref})
    return result
