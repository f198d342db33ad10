"""The Chalice app: wiring only. Routes and event handlers live in chalicelib/handlers/; what a route's domain
error gets, in chalicelib/handlers/refusals.py."""

from chalice.app import Chalice

from chalicelib.handlers import (
    applicants,
    assets,
    calls,
    events,
    gateway,
    old_addresses,
    organisers,
    refusals,
    speakers,
)
from chalicelib.web import https_only

app = Chalice(app_name="cfp")
app.register_middleware(https_only, "http")
app.register_blueprint(calls.bp)
app.register_blueprint(applicants.bp)
app.register_blueprint(organisers.bp)
app.register_blueprint(speakers.bp)
app.register_blueprint(old_addresses.bp)
app.register_blueprint(events.bp)
app.register_blueprint(assets.bp)
app.register_blueprint(gateway.bp)
refusals.answer_every_route(app)
