"""The OpenAPI description of a call's JSON API (/<call id>/openapi.json; /openapi.json is the default call's),
built from the same pydantic model that validates it."""

from __future__ import annotations

from typing import Any

from chalicelib.call import Call
from chalicelib.models import EMAIL_PATTERN, ApplicationForm

PROBLEM = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def spec(call: Call, server_url: str) -> dict[str, Any]:
    form = ApplicationForm.model_json_schema(ref_template="#/components/schemas/{model}")
    shared = form.pop("$defs", {})
    form["properties"]["summary"]["maxLength"] = call.summary_max_chars
    form["properties"]["email"]["pattern"] = EMAIL_PATTERN.pattern
    # Consent must be given: `true` is the only value that is accepted.
    form["properties"]["consent"] = {"type": "boolean", "const": True, "title": "Consent"}
    form["required"] = [*form["required"], "consent"]
    accepted = {
        "description": "",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{call.conference} call for participation: {call.title}",
            "version": "1.0.0",
            "description": "Apply as a guest speaker. Every error names the field and says what to do.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            f"/{call.id}/applications": {
                "post": {
                    "summary": "Apply with a story",
                    "operationId": "submitApplication",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}},
                    },
                    "responses": {
                        "201": accepted | {"description": "Stored; the review starts."},
                        "200": {
                            "description": "Already stored: the same email and title for this call. Only the "
                            "reference comes back; the status link is in the first acknowledgement email.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Repeated"}}},
                        },
                        "400": _problem("The body is not a JSON object, or looks automated."),
                        "403": _problem("The call is closed."),
                        "413": _problem("The body is over the maximum size."),
                        "415": _problem("The content type is neither JSON nor a form."),
                        "422": _problem("Fields are wrong; `errors` names each one."),
                        "429": _problem("Too many applications from this address or for this email; see Retry-After."),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Application": form,
                "Accepted": {
                    "type": "object",
                    "required": ["id", "status", "created", "status_url"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "string"},
                        "created": {"type": "boolean"},
                        "status_url": {"type": "string"},
                    },
                },
                "Repeated": {
                    "type": "object",
                    "required": ["id", "created"],
                    "additionalProperties": False,
                    "properties": {"id": {"type": "string"}, "created": {"const": False}},
                },
                "Problem": PROBLEM,
                **shared,
            }
        },
    }
