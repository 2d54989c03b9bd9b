// step.fetch test app (opcode Gateway: the server makes the request), on npm inngest 4.x or 3.x.
//   `<APP_ID>/fetch` {url}: POSTs JSON with an Authorization header through step.fetch, then a
//     step.run; returns what the rebuilt Response held (status, a header, the JSON body).
//   `<APP_ID>/fetch-down` {url}: step.fetch to a URL nobody answers, retries: 0; returns the
//     error the SDK threw.
// Env: PORT, APP_ID, SDK_MAJOR (3|4), INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "gateway-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");
const pkg = SDK_MAJOR === "3" ? "inngest3" : "inngest4";
const { Inngest } = await import(pkg);
const { serve } = await import(`${pkg}/node`);

const inngest = new Inngest({ id: APP_ID });

// 4.x moved the trigger into the options; 3.x takes it as the second argument.
const create = (options, trigger, handler) =>
  SDK_MAJOR === "3"
    ? inngest.createFunction(options, trigger, handler)
    : inngest.createFunction({ ...options, triggers: [trigger] }, handler);

const functions = [
  create({ id: "fetch" }, { event: `${APP_ID}/fetch` }, async ({ event, step }) => {
    const res = await step.fetch(`${event.data.url}/echo?from=${APP_ID}`, {
      method: "POST",
      headers: { Authorization: "Bearer fetch-secret-token", "Content-Type": "application/json" },
      body: JSON.stringify({ order: event.data.order }),
    });
    const body = await res.json();
    const after = await step.run("after-fetch", () => `got ${res.status}`);
    return { status: res.status, echo: res.headers.get("x-echo"), body, after };
  }),
  create({ id: "fetch-down", retries: 0 }, { event: `${APP_ID}/fetch-down` }, async ({ event, step }) => {
    try {
      await step.fetch(event.data.url);
      return { caught: null };
    } catch (err) {
      return { caught: String(err?.message ?? err) };
    }
  }),
];

const handler = serve({ client: inngest, functions });
http.createServer((req, res) => {
  if (req.url.startsWith("/api/inngest")) return handler(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`gateway app ${APP_ID} (inngest ${SDK_MAJOR}.x) on ${PORT}`));
