"""The SDK's answers, parsed into typed ops: every opcode, and malformed answers refused with a
message that names the operation and what is wrong with it."""

import json

import pytest

from runs.protocol import (
    ExecutionState,
    Opcode,
    ProtocolError,
    build_request_body,
    error_from_body,
    parse_ops,
)


def op(opcode: str, **fields: object) -> dict:
    return {"id": "a" * 40, "op": opcode, **fields}


@pytest.mark.parametrize(
    "opcode",
    [o for o in Opcode if o is not Opcode.STEP],
)
def test_every_opcode_parses_to_itself(opcode):
    [parsed] = parse_ops([op(opcode.value)])
    assert parsed.opcode is opcode
    assert parsed.hashed_id == "a" * 40


def test_legacy_step_opcode_is_read_as_step_run():
    [parsed] = parse_ops([op("Step", data={"ok": 1})])
    assert parsed.opcode is Opcode.STEP_RUN and parsed.data == {"ok": 1}


def test_step_run_keeps_its_output_name_and_display_name():
    [parsed] = parse_ops([op("StepRun", name="fetch", displayName="Fetch user", data=[1, 2])])
    assert (parsed.name, parsed.display_name, parsed.data) == ("fetch", "Fetch user", [1, 2])
    assert parsed.label == "Fetch user"


def test_a_step_output_of_null_is_data_while_a_missing_output_is_not():
    [with_null] = parse_ops([op("StepRun", data=None)])
    [without] = parse_ops([op("StepRun")])
    assert with_null.has_data and with_null.data is None
    assert not without.has_data


def test_label_falls_back_from_display_name_to_name_to_hashed_id():
    [named] = parse_ops([op("StepPlanned", name="send")])
    [bare] = parse_ops([op("StepPlanned")])
    assert named.label == "send"
    assert bare.label == "a" * 40


def test_wait_for_event_keeps_the_event_name_and_its_options():
    opts = {"event": "app/approved", "if": "event.data.id == async.data.id", "timeout": "1h"}
    [parsed] = parse_ops([op("WaitForEvent", name="app/approved", opts=opts)])
    assert parsed.opcode is Opcode.WAIT_FOR_EVENT
    assert parsed.name == "app/approved" and parsed.opts == opts


def test_sleep_carries_its_wake_up_in_name():
    [parsed] = parse_ops([op("Sleep", name="2030-01-02T03:04:05Z", displayName="nap")])
    assert parsed.opcode is Opcode.SLEEP and parsed.name == "2030-01-02T03:04:05Z"


def test_invoke_keeps_the_target_function_and_payload():
    opts = {"function_id": "app-child", "payload": {"data": {"n": 1}}, "timeout": "1m"}
    [parsed] = parse_ops([op("InvokeFunction", opts=opts)])
    assert parsed.opcode is Opcode.INVOKE and parsed.opts["function_id"] == "app-child"


def test_several_planned_steps_keep_their_order():
    ops = parse_ops([{"id": f"h{i}", "op": "StepPlanned"} for i in range(5)])
    assert [o.hashed_id for o in ops] == ["h0", "h1", "h2", "h3", "h4"]


def test_a_single_op_object_is_accepted_as_a_list_of_one():
    [parsed] = parse_ops(op("StepRun", data=3))
    assert parsed.data == 3


def test_step_error_keeps_an_error_object():
    error = {"name": "TypeError", "message": "boom", "stack": "at x"}
    [parsed] = parse_ops([op("StepError", error=error)])
    assert parsed.opcode is Opcode.STEP_ERROR and parsed.error == error


@pytest.mark.parametrize("raw_error", ["boom", 42, ["boom"]])
def test_a_step_error_that_is_not_an_object_becomes_one(raw_error):
    [parsed] = parse_ops([op("StepFailed", error=raw_error)])
    assert parsed.error == {"name": "Error", "message": str(raw_error)}


def test_missing_opts_are_an_empty_object():
    [parsed] = parse_ops([op("StepRun", opts=None)])
    assert parsed.opts == {}


def test_step_input_is_exposed_only_when_the_sdk_sent_one():
    [with_input] = parse_ops([op("StepPlanned", opts={"input": [1, "a"]})])
    [without] = parse_ops([op("StepPlanned", opts={"type": "step"})])
    assert with_input.step_input == {"input": [1, "a"]}
    assert without.step_input is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "non-empty list of operations"),
        (None, "non-empty list of operations"),
        ("StepRun", "non-empty list of operations"),
        (42, "non-empty list of operations"),
        ([op("StepRun"), 7], "operation 1 is not an object"),
        ([op("StepRun"), {"op": "StepRun", "id": ""}], "operation 1 (StepRun) has no step id"),
        ([{"op": "StepRun", "id": 12}], "operation 0 (StepRun) has no step id"),
        ([{"id": "x"}], "operation 0 has no opcode (`op`): got None"),
        ([{"id": "x", "op": "steprun"}], "operation 0 has unknown opcode 'steprun'"),
        ([op("Sleep", opts=["2s"])], "operation 0 (Sleep) has opts that are not an object"),
        ([op("StepRun", opts="x")], "operation 0 (StepRun) has opts that are not an object"),
    ],
)
def test_malformed_operations_are_refused_with_what_is_wrong(body, message):
    with pytest.raises(ProtocolError) as caught:
        parse_ops(body)
    assert message in str(caught.value)


def test_a_step_id_longer_than_64_characters_is_refused():
    with pytest.raises(ProtocolError, match="step id"):
        parse_ops([{"id": "x" * 65, "op": "StepRun", "data": 1}])


def test_a_step_name_longer_than_1024_characters_is_refused():
    with pytest.raises(ProtocolError, match="name"):
        parse_ops([{"id": "h", "op": "StepRun", "name": "n" * 1025, "data": 1}])


def test_function_error_body_keeps_name_message_and_stack():
    body = {"name": "RangeError", "message": "too far", "stack": "at f", "extra": 1}
    assert error_from_body(body, "HTTP 500") == {
        "name": "RangeError",
        "message": "too far",
        "stack": "at f",
    }


def test_function_error_body_without_a_name_is_an_error():
    assert error_from_body({"message": "m"}, "HTTP 500") == {"name": "Error", "message": "m"}


@pytest.mark.parametrize("body", [None, ""])
def test_an_empty_error_body_uses_the_fallback(body):
    assert error_from_body(body, "HTTP 502") == {"name": "Error", "message": "HTTP 502"}


def test_an_unrecognised_error_body_is_quoted_after_the_fallback():
    assert error_from_body({"detail": "x"}, "HTTP 500") == {
        "name": "Error",
        "message": 'HTTP 500: {"detail": "x"}',
    }
    assert error_from_body("gateway said no", "HTTP 504")["message"] == "HTTP 504: gateway said no"


def test_a_huge_error_body_is_cut_to_2000_characters():
    message = error_from_body("x" * 10_000, "HTTP 500")["message"]
    assert message == "HTTP 500: " + "x" * 2000


def _state(**changes: object) -> ExecutionState:
    fields: dict = {
        "run_id": "01RUN",
        "fn_slug": "app-fn",
        "event": {"name": "a", "data": {}},
        "events": [{"name": "a", "data": {}}],
        "memos": {"h1": {"data": 1}},
        "stack": ["h1"],
        "attempt": 2,
        "max_attempts": 5,
    }
    fields.update(changes)
    return ExecutionState(**fields)


def test_request_body_carries_event_memos_and_the_ctx_the_sdks_read(settings):
    settings.SIGNING_KEY = ""
    body = json.loads(build_request_body(_state()))
    assert body["event"] == {"name": "a", "data": {}} and body["steps"] == {"h1": {"data": 1}}
    ctx = body["ctx"]
    assert ctx["run_id"] == "01RUN" and ctx["attempt"] == 2 and ctx["max_attempts"] == 5
    assert ctx["stack"] == {"stack": ["h1"], "current": 1}
    assert ctx["disable_immediate_execution"] is False
    assert body["use_api"] is False and ctx["use_api"] is False  # both SDKs' spellings
    assert "fn_id" not in ctx and "qi_id" not in ctx


def test_checkpointing_request_offers_function_and_queue_item_ids(settings):
    settings.SIGNING_KEY = ""
    body = json.loads(build_request_body(_state(checkpointing=True, queue_item_id="01QI")))
    assert body["ctx"]["fn_id"] == "app-fn" and body["ctx"]["qi_id"] == "01QI"


def test_edited_inputs_go_only_to_steps_that_have_not_run(settings):
    settings.SIGNING_KEY = ""
    state = _state(step_inputs={"h1": ["old"], "h2": ["new"]})
    steps = json.loads(build_request_body(state))["steps"]
    assert steps == {"h1": {"data": 1}, "h2": {"input": ["new"]}}
