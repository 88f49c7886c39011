"""Kubernetes `Status` errors, with the reason strings a real API server uses."""

from __future__ import annotations

from typing import Any

REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class APIError(Exception):
    """An error the HTTP layer turns into a `Status` body with the same code."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(resource: str, group: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    return details


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> APIError:
    return APIError(
        404, f'{_qualified(resource, group)} "{name}" not found', "NotFound", _details(resource, group, name)
    )


def resource_not_found() -> APIError:
    return APIError(404, "the server could not find the requested resource", "NotFound", {})


def already_exists(resource: str, group: str, name: str) -> APIError:
    return APIError(
        409,
        f'{_qualified(resource, group)} "{name}" already exists',
        "AlreadyExists",
        _details(resource, group, name),
    )


def conflict(resource: str, group: str, name: str, why: str) -> APIError:
    return APIError(
        409,
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        "Conflict",
        _details(resource, group, name),
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> APIError:
    """`causes` holds (field, cause reason, detail message) triples, rendered like field.ErrorList."""
    qualified = f"{kind}.{group}" if group else kind
    messages = [f"{field}: {detail}" for field, _, detail in causes]
    text = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details = _details("", group, name)
    details["kind"] = kind
    details["causes"] = [
        {"reason": reason, "message": detail, "field": field} for field, reason, detail in causes
    ]
    return APIError(422, f'{qualified} "{name}" is invalid: {text}', "Invalid", details)


def bad_request(message: str) -> APIError:
    return APIError(400, message, "BadRequest")


def method_not_allowed(verb: str, resource: str) -> APIError:
    return APIError(
        405, f"the server does not allow this method on the requested resource ({verb} {resource})"
    )


def unsupported_patch(accepted: list[str]) -> APIError:
    return APIError(
        415,
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
        "UnsupportedMediaType",
    )
