// Test app for the dev server's compatibility tests: serves the official Inngest JS SDK
// (SDK_MAJOR=3 -> inngest@3, 4 -> inngest@4) at /api/inngest, mirroring the Python test app.
//
// Events are named `<APP_ID>/<name>` so several test apps can share one dev server.
// Env: PORT, APP_ID, SDK_MAJOR (3|4), LOG_FILE, plus INNGEST_DEV=1 and INNGEST_BASE_URL.
// TRANSPORT=connect (4.x) serves the same functions as a Connect worker instead (`connect()`
// from inngest/connect: it dials in to the server, no PORT; INSTANCE_ID names it), so the SDK
// tests run both ways. Node 20 needs NODE_OPTIONS=--experimental-websocket for it.
import fs from "node:fs";
import http from "node:http";
import { lifecycleFunctions } from "./lifecycle.mjs";
import { raceSignalFunctions } from "./race_signals.mjs";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "js-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");
const LOG_FILE = process.env.LOG_FILE || "/tmp/inngest-js-app.log";
const TRANSPORT = process.env.TRANSPORT || "http";

if (SDK_MAJOR !== "3" && SDK_MAJOR !== "4") {
  console.error(`SDK_MAJOR must be 3 or 4, got ${JSON.stringify(SDK_MAJOR)}`);
  process.exit(2);
}
if (TRANSPORT !== "http" && !(TRANSPORT === "connect" && SDK_MAJOR === "4")) {
  console.error(`TRANSPORT must be http, or connect with SDK_MAJOR=4, got ${JSON.stringify(TRANSPORT)}`);
  process.exit(2);
}
const pkg = SDK_MAJOR === "3" ? "inngest3" : "inngest4";
const { Inngest, NonRetriableError, RetryAfterError, openai } = await import(pkg);
const { serve } = await import(`${pkg}/node`);

// Append-only log used by the tests to observe what ran, and how often.
const log = (line) => fs.appendFileSync(LOG_FILE, `${line}\n`);
// Append `line`; return how many times it is now in the log.
const logCount = (line) => {
  log(line);
  return fs.readFileSync(LOG_FILE, "utf8").split("\n").filter((l) => l === line).length;
};

const inngest = new Inngest({ id: APP_ID });

// v3: createFunction(options, trigger, handler); v4: createFunction({ ...options, triggers }, handler).
const createFunction = (options, trigger, handler) =>
  SDK_MAJOR === "3"
    ? inngest.createFunction(options, trigger, handler)
    : inngest.createFunction({ ...options, triggers: [trigger] }, handler);

const functions = [
  createFunction({ id: "multi-step" }, { event: `${APP_ID}/multi` }, async ({ event, step }) => {
    log("outside");
    const a = await step.run("a", () => {
      log("step:a");
      return { n: 1 };
    });
    const b = await step.run("b", () => {
      log("step:b");
      return a.n + 1;
    });
    const c = await step.run("c", () => {
      log("step:c");
      return b + 1;
    });
    return { a, b, c, event: event.data };
  }),

  createFunction({ id: "sleepy" }, { event: `${APP_ID}/sleep` }, async ({ event, step }) => {
    await step.run("before", () => "before");
    await step.sleep("nap", event.data?.duration || "2s");
    await step.run("after", () => {
      log("step:after");
      return "after";
    });
    return "done";
  }),

  createFunction({ id: "flaky", retries: 3 }, { event: `${APP_ID}/flaky` }, async ({ step }) =>
    step.run("wobbly", () => {
      const count = logCount("flaky:attempt");
      if (count < 3) throw new Error(`boom ${count}`);
      return { attempts: count };
    }),
  ),

  createFunction({ id: "non-retriable", retries: 3 }, { event: `${APP_ID}/nonretriable` }, async ({ step }) =>
    step.run("doomed", () => {
      log("nonretriable:attempt");
      throw new NonRetriableError("no way");
    }),
  ),

  // RetryAfterError's second argument: ms number, ms-style string ("2s") or Date.
  createFunction({ id: "retry-after", retries: 3 }, { event: `${APP_ID}/retryafter` }, async ({ step }) =>
    step.run("later", () => {
      if (logCount("retryafter:attempt") === 1) throw new RetryAfterError("wait", "2s");
      return "ok";
    }),
  ),

  createFunction(
    { id: "if-trigger" },
    { event: `${APP_ID}/if`, if: "event.data.amount > 10" },
    async ({ event }) => event.data.amount,
  ),

  // step.run with input: a rerun from "double" can replace its argument.
  createFunction({ id: "with-input" }, { event: `${APP_ID}/input` }, async ({ event, step }) => {
    const base = await step.run("base", () => {
      log("step:base");
      return event.data.n;
    });
    const doubled = await step.run("double", (n) => n * 2, base);
    return { doubled };
  }),

  createFunction({ id: "ten-steps" }, { event: `${APP_ID}/ten` }, async ({ step }) => {
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      sum += await step.run(`s${i}`, () => i);
    }
    return sum;
  }),
];

if ((process.env.LIFECYCLE_FUNCTIONS || "1") === "1") {
  functions.push(...lifecycleFunctions({ createFunction, NonRetriableError, openai, APP_ID, log, logCount }));
  functions.push(...raceSignalFunctions({ createFunction, inngest, APP_ID, SDK_MAJOR, log }));
}

if (TRANSPORT === "connect") {
  const { connect } = await import(`${pkg}/connect`);
  // The SDK handles SIGTERM itself: WORKER_PAUSE, then it drains its in-flight steps and exits.
  const conn = await connect({
    apps: [{ client: inngest, functions }],
    ...(process.env.INSTANCE_ID ? { instanceId: process.env.INSTANCE_ID } : {}),
  });
  console.log(`inngest js test app (${pkg}, app ${APP_ID}) connected as a Connect worker`);
  await conn.closed;
  process.exit(0);
}

const inngestHandler = serve({ client: inngest, functions });

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url || "/", "http://127.0.0.1");
  if (pathname === "/api/inngest") return inngestHandler(req, res);
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found\n");
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`inngest js test app (${pkg}, app ${APP_ID}) listening on http://127.0.0.1:${PORT}/api/inngest`);
});

for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
