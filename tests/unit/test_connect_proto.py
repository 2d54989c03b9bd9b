"""The committed Connect protobuf code is what protoc makes of the Python SDK's connect.proto
(scripts/gen_connect_proto.sh), and the JS SDK's generated copy encodes the same fields under
the same numbers, so both SDKs' workers speak the schema our gateway reads. (JS 4.24 also has
WORKER_STATUS = 15 and GatewayConnectionReadyData.status_interval, which the Python proto lacks:
we never ask for status reports, and a frame of an unknown kind is ignored.)"""

import importlib.util
import re
from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor
from grpc_tools import protoc

from runs.connect import connect_pb2

ROOT = Path(__file__).resolve().parents[2]
JS_COPY = (
    ROOT / "tests/apps/js/node_modules/inngest4/proto/src/components/connect/protobuf/connect.js"
)
# protobuf wire types by field type: varint 0, 64-bit 1, length-delimited 2, 32-bit 5.
_WIRE = {
    FieldDescriptor.TYPE_STRING: 2,
    FieldDescriptor.TYPE_BYTES: 2,
    FieldDescriptor.TYPE_MESSAGE: 2,
    FieldDescriptor.TYPE_FIXED64: 1,
    FieldDescriptor.TYPE_FIXED32: 5,
}


def test_committed_code_is_protocs_output_of_the_sdk_proto(tmp_path):
    # The arguments of scripts/gen_connect_proto.sh, run in process (unit tests spawn nothing).
    sdk = Path(importlib.util.find_spec("inngest").origin).parent / "connect/_internal"
    include = Path(protoc.__file__).parent / "_proto"
    args = [f"-I{sdk}", f"-I{include}", f"--python_out={tmp_path}", f"--pyi_out={tmp_path}"]
    assert protoc.main(["protoc", *args, str(sdk / "connect.proto")]) == 0
    for name in ("connect_pb2.py", "connect_pb2.pyi"):
        fresh = (tmp_path / name).read_text()
        assert fresh == (ROOT / "runs/connect" / name).read_text(), (
            f"runs/connect/{name} differs from the SDK's connect.proto: "
            "run scripts/gen_connect_proto.sh and commit the result"
        )


@pytest.mark.skipif(not JS_COPY.exists(), reason="the JS test app's node_modules are not installed")
def test_js_sdk_encodes_every_field_under_the_same_number():
    js = JS_COPY.read_text()
    checked = 0
    for message in connect_pb2.DESCRIPTOR.message_types_by_name.values():
        if f"const {message.name} = {{" not in js:
            continue  # a server-side message (ConnMetadata, ConnGroup, ...) the SDK never sends
        for field in message.fields:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                continue  # map entries are encoded by their own nested message
            wire = _WIRE.get(field.type, 0)
            if field.is_repeated and wire == 0:
                wire = 2  # packed
            tag = field.number << 3 | wire
            camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), field.name)
            line = rf"^(?=[^\n]*writer\.uint32\({tag}\))(?=[^\n]*(message\.{camel}\b|\bv\b))"
            assert re.search(line, js, re.MULTILINE), (
                f"{message.name}.{field.name} (tag {tag}) in the JS SDK"
            )
            checked += 1
    for value in connect_pb2.GatewayMessageType.DESCRIPTOR.values:
        assert f'["{value.name}"] = {value.number}]' in js, value.name
    assert checked > 60
