"""`chalice local`'s HTTP server, with API Gateway's answer for an address that no route serves.

Chalice's local gateway answers such an address with 403 "Missing Authentication Token", as API Gateway
does without a gateway response. The deployed stack has one (infra/resources.json: a 404 that says where
the call is); locally, the app's own 404 page takes that place. Everything else is Chalice's.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chalice.app import Chalice, Request
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, create_local_server

from chalicelib.handlers.gateway import no_route


class RequestHandler(ChaliceRequestHandler):
    def _generic_handle(self) -> None:
        path = self.path.partition("?")[0]
        try:
            self.local_gateway.event_converter.create_lambda_event(self.command, path, {}, None)
        except ValueError:  # no route: what the gateway response answers on AWS
            self._answer_no_route(path)
            return
        super()._generic_handle()

    def _answer_no_route(self, path: str) -> None:
        headers, _ = self._parse_payload()
        event: dict[str, Any] = {
            "multiValueQueryStringParameters": None,
            "headers": {name.lower(): value for name, value in headers.items()},
            "pathParameters": None,
            "requestContext": {"httpMethod": self.command, "resourcePath": path, "identity": {"sourceIp": ""}},
            "body": None,
            "isBase64Encoded": False,
            "stageVariables": None,
        }
        response = no_route(Request(event)).to_dict()
        headers = dict(response["headers"]) | dict(response.get("multiValueHeaders", {}))
        body = None if self.command == "HEAD" else response["body"]
        self._send_http_response(response["statusCode"], headers, body)

    # The base class binds each method to its own _generic_handle.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle  # noqa: N815


def local_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """What `chalice local` serves, as chalice.local builds it, with the request handler above."""
    server = create_local_server(app, config, host, port)
    server.server.RequestHandlerClass = partial(RequestHandler, app_object=server.app_object, config=config)
    return server
