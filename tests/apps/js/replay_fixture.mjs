// Replay a run fixture offline with @inngest/test 1.0.0 against fixture_app.mjs's function of
// the fixture's slug, through sdk_helpers/js/inngest-fixtures.mjs; print what it returned or
// threw as one JSON line: {"result": ...} or {"error": {name, message}}.
// Usage: node replay_fixture.mjs run.json   (no server needed: nothing leaves the process)
import { InngestTestEngine } from "@inngest/test";
import { readFixture, testEngineOptions } from "../../../sdk_helpers/js/inngest-fixtures.mjs";
import { functions } from "./fixture_app.mjs";

const fixture = readFixture(process.argv[2]);
const fn = functions.find((f) => fixture.function.slug.endsWith(`-${f.id()}`));
if (!fn) throw new Error(`fixture_app.mjs has no function ${fixture.function.slug}`);

const engine = new InngestTestEngine(testEngineOptions(fixture, fn));
const { result, error } = await engine.execute();
const outcome = error ? { error: { name: error.name, message: error.message } } : { result };
process.stdout.write(`${JSON.stringify(outcome)}\n`);
