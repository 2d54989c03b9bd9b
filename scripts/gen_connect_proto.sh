#!/bin/sh
# Regenerate runs/connect/connect_pb2.py from the connect.proto that ships inside the Python SDK
# (the wire schema of Connect), with protoc from grpcio-tools (the test extra). The committed
# file is checked against a fresh generation by tests/unit/test_connect_proto.py.
set -eu
PYTHON="${PYTHON:-.venv/bin/python}"
OUT="${1:-runs/connect}"
PROTO_DIR="$("$PYTHON" -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("inngest").origin), "connect", "_internal"))')"
INCLUDE="$("$PYTHON" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
"$PYTHON" -m grpc_tools.protoc -I"$PROTO_DIR" -I"$INCLUDE" --python_out="$OUT" --pyi_out="$OUT" "$PROTO_DIR/connect.proto"
