"""The Chalice app: wiring only. Routes and event handlers live in chalicelib/handlers/."""

from chalice.app import Chalice

from chalicelib.handlers import applicants, assets, calls, events, gateway, organisers, speakers
from chalicelib.web import https_only

app = Chalice(app_name="cfp")
app.register_middleware(https_only, "http")
app.register_blueprint(calls.bp)
app.register_blueprint(applicants.bp)
app.register_blueprint(organisers.bp)
app.register_blueprint(speakers.bp)
app.register_blueprint(events.bp)
app.register_blueprint(assets.bp)
app.register_blueprint(gateway.bp)
