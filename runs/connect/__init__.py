"""Connect: SDK workers that dial in over a WebSocket and receive their execution requests on it
(`inngest.connect` in the Python SDK, `connect()` from `inngest/connect` in JS). The wire schema
is the SDKs' own `connect.proto`, compiled into `connect_pb2.py` (scripts/gen_connect_proto.sh).

- `protocol.py`: vocabulary, tokens and the `connect://` step URLs of a Connect app;
- `bus.py`: the registry of connected workers and the request/reply mailboxes (Redis in
  staging, so a Celery worker reaches a worker attached to any web process; memory otherwise);
- `dispatch.py`: the executor's side (an SDK call sent to a worker, its reply awaited);
- `gateway.py`: the WebSocket the workers hold (an ASGI app); `presence.py`: what this
  process does as a gateway for all its sockets (its key, their history); `views.py`: start
  and flush; `history.py`: each socket's connect and disconnect, kept for the Apps page;
- `sync.py`: a worker's WORKER_CONNECT registers its app like an HTTP sync."""
