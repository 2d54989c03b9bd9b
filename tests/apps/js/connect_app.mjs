// A Connect worker on the official JS SDK 4.x (`connect` from `inngest/connect`): it dials in to
// the server instead of serving HTTP. Same functions as tests/apps/py_connect.py: multi-step,
// ten steps, sleep, retry, waitForEvent, and a slow step for the fault tests.
//
// Run: APP_ID=js-connect LOG_FILE=... INNGEST_DEV=1 INNGEST_BASE_URL=... [INSTANCE_ID=...]
//      [MAX_CONCURRENCY=n] NODE_OPTIONS=--experimental-websocket node connect_app.mjs
// Each step body appends a line to LOG_FILE (with the instance id for `slow`), so tests count
// how often code really ran and where. Node 20 needs the NODE_OPTIONS flag for a global WebSocket
// (in the worker thread that holds the socket too); Node 22 has it by default.
import fs from "node:fs";
import { Inngest } from "inngest4";
import { connect } from "inngest4/connect";

const APP_ID = process.env.APP_ID || "js-connect";
const LOG_FILE = process.env.LOG_FILE;
const INSTANCE = process.env.INSTANCE_ID || `js-${process.pid}`;

const log = (line) => fs.appendFileSync(LOG_FILE, `${line}\n`);
// Append `line`; return how many times it is now in the log (the retry test counts attempts).
const logCount = (line) => {
  log(line);
  return fs.readFileSync(LOG_FILE, "utf8").split("\n").filter((l) => l === line).length;
};

const inngest = new Inngest({ id: APP_ID });
const on = (name) => ({ event: `${APP_ID}/${name}` });
const fn = (options, trigger, handler) =>
  inngest.createFunction({ ...options, triggers: [trigger] }, handler);

const functions = [
  fn({ id: "multi-step" }, on("multi"), async ({ event, step }) => {
    const a = await step.run("a", () => (log("step:a"), { n: 1 }));
    const b = await step.run("b", () => (log("step:b"), a.n + 1));
    const c = await step.run("c", () => (log("step:c"), b + 1));
    return { a, b, c, event: event.data };
  }),

  fn({ id: "ten-steps" }, on("ten"), async ({ step }) => {
    let total = 0;
    for (let i = 0; i < 10; i++) total += await step.run(`s${i}`, () => i);
    return total;
  }),

  fn({ id: "sleepy" }, on("sleep"), async ({ event, step }) => {
    await step.run("before", () => "before");
    await step.sleep("nap", `${event.data?.seconds ?? 2}s`);
    await step.run("after", () => (log("step:after"), "after"));
    return "done";
  }),

  fn({ id: "flaky", retries: 3 }, on("flaky"), async ({ step }) =>
    step.run("wobbly", () => {
      const count = logCount("flaky:attempt");
      if (count < 3) throw new Error(`boom ${count}`);
      return { attempts: count };
    }),
  ),

  fn({ id: "waiter" }, on("wait"), async ({ step }) => {
    const got = await step.waitForEvent("approval", {
      event: `${APP_ID}/approved`,
      if: "event.data.key == async.data.key",
      timeout: "30s",
    });
    return { approved: got ? got.data : null };
  }),

  // `gate` (a file's path) holds the step until that file exists, however long that takes.
  fn({ id: "slow", retries: 2 }, on("slow"), async ({ event, step }) => {
    const where = await step.run("work", async () => {
      log(`slow:start:${INSTANCE}`);
      if (event.data?.gate) {
        while (!fs.existsSync(event.data.gate)) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1000 * (event.data?.seconds ?? 3)));
      }
      log(`slow:end:${INSTANCE}`);
      return INSTANCE;
    });
    const after = await step.run("after", () => (log("slow:after"), "ok"));
    return { worker: where, after };
  }),
];

const capacity = process.env.MAX_CONCURRENCY;
// The SDK handles SIGTERM itself: WORKER_PAUSE, then it drains its in-flight steps and exits.
const conn = await connect({
  apps: [{ client: inngest, functions }],
  instanceId: INSTANCE,
  ...(capacity ? { maxWorkerConcurrency: Number(capacity) } : {}),
});
await conn.closed;
process.exit(0);
