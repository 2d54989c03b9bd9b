"""The JSON APIs: one django-ninja Router per kind of thing (runs, actions, events, flow-control
decisions, the audit log) for /api/, and Inngest's REST API for /v1/; devserver/api.py mounts
them."""
