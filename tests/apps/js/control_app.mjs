// Test app for function control (tests/e2e/test_function_control.py): a cron trigger with
// `jitter` (inngest 4.x only: 3.54.2's trigger schema has no jitter), a function to pause and
// resume, and a sleeping function whose runs are in flight when it is paused.
// Env: PORT, APP_ID, SDK_MAJOR (3|4), LOG_FILE, INNGEST_DEV / INNGEST_BASE_URL (keys in cloud
// mode; INNGEST_ENABLE_UNAUTHED_SYNC=false makes it refuse an unsigned sync PUT).
import fs from "node:fs";
import http from "node:http";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "control-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");
const LOG_FILE = process.env.LOG_FILE || "/tmp/inngest-control-app.log";
const pkg = SDK_MAJOR === "3" ? "inngest3" : "inngest4";
const { Inngest } = await import(pkg);
const { serve } = await import(`${pkg}/node`);

const log = (line) => fs.appendFileSync(LOG_FILE, `${line}\n`);
const inngest = new Inngest({ id: APP_ID });
const createFunction = (options, trigger, handler) =>
  SDK_MAJOR === "3"
    ? inngest.createFunction(options, trigger, handler)
    : inngest.createFunction({ ...options, triggers: [trigger] }, handler);

const functions = [
  createFunction({ id: "pausable" }, { event: `${APP_ID}/pausable` }, async ({ event, step }) => {
    const n = await step.run("work", () => {
      log(`pausable:${event.data.n}`);
      return event.data.n;
    });
    return { n };
  }),
  createFunction({ id: "napper" }, { event: `${APP_ID}/nap` }, async ({ event, step }) => {
    await step.run("before", () => "before");
    await step.sleep("nap", `${event.data.seconds || 1}s`);
    await step.run("after", () => {
      log(`napper:after:${event.data.n}`);
      return "after";
    });
    return "done";
  }),
];
if (SDK_MAJOR === "4") {
  // A yearly schedule: the test reads its registration, it never waits for a tick.
  functions.push(
    createFunction({ id: "jitter-cron" }, { cron: "0 0 1 1 *", jitter: "30s" }, async () => "tick"),
  );
}

const handler = serve({ client: inngest, functions });
http
  .createServer((req, res) => {
    const { pathname } = new URL(req.url || "/", "http://127.0.0.1");
    if (pathname === "/api/inngest") return handler(req, res);
    res.writeHead(404).end("not found\n");
  })
  .listen(PORT, "127.0.0.1", () => console.log(`control app (${pkg}) on ${PORT}`));

for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
