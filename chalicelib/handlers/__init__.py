"""Chalice blueprints: HTTP routes and event handlers, wired together in app.py."""
