// Replay a run exported by the dev server as a test fixture (GET /api/runs/{id}/fixture, the run
// page's "Export as test fixture", `manage.py runs export`) with @inngest/test, offline: every
// finished step of the run is mocked with its memoized output, so no step runs its code and the
// function body runs with the step results of the recorded run.
//
//   import { InngestTestEngine } from "@inngest/test";
//   import { readFixture, testEngineOptions, recordedOutcome } from "./inngest-fixtures.mjs";
//
//   const fixture = readFixture("fixtures/checkout-run.json");
//   const t = new InngestTestEngine(testEngineOptions(fixture, checkout));
//   const { result, error } = await t.execute();
//   assert.deepStrictEqual(result, recordedOutcome(fixture).result);
//
// No dependency of its own: copy it next to your tests. The format is documented in the dev
// server's runs/fixture_format.py ("inngest-devserver/run", version 1).
import fs from "node:fs";

export const FIXTURE_KIND = "inngest-devserver/run";
export const FIXTURE_VERSION = 1;

/** The fixture in a file, checked to be one this helper reads. */
export function readFixture(path) {
  return checkFixture(JSON.parse(fs.readFileSync(path, "utf8")));
}

export function checkFixture(fixture) {
  if (fixture?.fixture !== FIXTURE_KIND || fixture?.version !== FIXTURE_VERSION) {
    throw new Error(`not a run fixture of version ${FIXTURE_VERSION} ("fixture": "${FIXTURE_KIND}")`);
  }
  return fixture;
}

/** The trigger events (the batch, or the one event) as the SDK got them. */
export function fixtureEvents(fixture) {
  return fixture.events.map((event) => ({ ...event }));
}

/**
 * One @inngest/test step mock per finished step, by the hashed id the SDK sent (so a step id
 * used twice in a loop gets each of its results), in the order the run completed them. A run
 * with a step that failed for good is refused (see handlerOf).
 */
export function fixtureSteps(fixture) {
  return fixture.steps.map((step) => ({ id: step.id, idIsHashed: true, handler: handlerOf(step) }));
}

/** The options of `new InngestTestEngine(...)` that replay the fixture against `fn`. */
export function testEngineOptions(fixture, fn) {
  return { function: fn, events: fixtureEvents(fixture), steps: fixtureSteps(fixture) };
}

/** What the run ended with: `{ result }` when it completed, `{ error }` when it failed. */
export function recordedOutcome(fixture) {
  const { status, output, error } = fixture.run;
  if (status === "Completed") return { result: output };
  if (status === "Failed") return { error };
  throw new Error(`run ${fixture.run.id} is ${status}: only a completed or failed run has an outcome`);
}

// A memo is what the SDK gets back on replay: {data} for a step's output, {error} for a step
// that failed for good, and the value itself otherwise (a waitForEvent's event, or null).
function handlerOf(step) {
  const memo = step.memo;
  if (isObject(memo) && "error" in memo && memo.error != null) {
    // @inngest/test 1.0.0 on inngest 4.x cannot replay this: the engine awaits a mock's data
    // promise, which a throwing handler resolves with undefined, so the function would get
    // undefined where the run got an error. Refused rather than replayed wrongly.
    throw new Error(
      `step "${step.name}" failed in this run (${memo.error.message}); @inngest/test 1.0.0 ` +
        "cannot mock a failing step (a throwing mock resolves to undefined), so this run " +
        "cannot be replayed with it",
    );
  }
  if (isObject(memo) && Object.keys(memo).every((key) => key === "data")) {
    return () => memo.data;
  }
  return () => memo;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
