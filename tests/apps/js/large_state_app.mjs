// Large-state test app on npm inngest 4.x or 3.x: `<APP_ID>/big` {count, size} runs `count`
// steps returning `size` bytes each, then checks every output it gets back on replay (from
// the request, or from GET /v0/runs/{id}/actions once the server says use_api). Each execution
// request's body size is appended to BODY_LOG, so the test can hold the server to its limit.
// Env: PORT, APP_ID, SDK_MAJOR (3|4), BODY_LOG, INNGEST_DEV / INNGEST_BASE_URL (keys in staging).
import fs from "node:fs";
import http from "node:http";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "large-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");
const BODY_LOG = process.env.BODY_LOG || "/dev/null";
const pkg = SDK_MAJOR === "3" ? "inngest3" : "inngest4";
const { Inngest } = await import(pkg);
const { serve } = await import(`${pkg}/node`);

const inngest = new Inngest({ id: APP_ID });
const trigger = { event: `${APP_ID}/big` };
const handler = async ({ event, events, step }) => {
  const { count, size } = event.data;
  let intact = 0;
  for (let i = 0; i < count; i++) {
    const value = await step.run(`part-${i}`, () => String(i % 10).repeat(size));
    if (value === String(i % 10).repeat(size)) intact++;
  }
  return { steps: count, intact, events: events.length };
};
const big =
  SDK_MAJOR === "3"
    ? inngest.createFunction({ id: "big" }, trigger, handler)
    : inngest.createFunction({ id: "big", triggers: [trigger] }, handler);

const serveHandler = serve({ client: inngest, functions: [big] });
http.createServer((req, res) => {
  if (req.method === "POST") fs.appendFileSync(BODY_LOG, `${req.headers["content-length"] ?? 0}\n`);
  if (req.url.startsWith("/api/inngest")) return serveHandler(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`large-state app ${APP_ID} (inngest ${SDK_MAJOR}.x) on ${PORT}`));
