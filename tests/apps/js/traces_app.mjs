// Traces and metadata test app, on npm inngest 4.x or 3.x.
//   `<APP_ID>/traced` {order}: a step "load" that opens its own OpenTelemetry span "db.query"
//     (extendedTracesMiddleware exports it to /v1/traces/userland), then a step "charge"; on
//     4.x also metadata: inside "charge" (on its op), `step.metadata("note")` and `step.score`
//     (scope run, on their ops) and `inngest.metadata.run(runId)` outside any step (the API);
//     last `step.ai.wrap("ask", ...)` around a model call that an instrumented AI client would
//     trace: its span "chat fake-model" carries the OpenTelemetry `gen_ai.*` attributes, from
//     which the SDK attaches `inngest.ai` metadata to the step's op (no model is called).
// Every execution request's trace headers are logged as one JSON line starting `headers `.
// Env: PORT, APP_ID, SDK_MAJOR (3|4), INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { context, trace } from "@opentelemetry/api";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "traces-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");
const pkg = SDK_MAJOR === "3" ? "inngest3" : "inngest4";
const { Inngest } = await import(pkg);
const { serve } = await import(`${pkg}/node`);
const experimental = await import(`${pkg}/experimental`);

const V4 = SDK_MAJOR !== "3";
if (V4) {
  // 4.x reads AI usage from spans only through an OpenTelemetry provider that exists when the
  // client is made (the SDK's advice: create it first, as @inngest/otel does); then
  // extendedTracesMiddleware extends it too. 3.x keeps the middleware's own provider.
  const { BasicTracerProvider } = await import("@opentelemetry/sdk-trace-base");
  const { AsyncHooksContextManager } = await import("@opentelemetry/context-async-hooks");
  trace.setGlobalTracerProvider(new BasicTracerProvider());
  context.setGlobalContextManager(new AsyncHooksContextManager().enable());
}
const middleware = [experimental.extendedTracesMiddleware()];
if (V4) middleware.push(experimental.metadataMiddleware(), experimental.scoreMiddleware());
const inngest = new Inngest({ id: APP_ID, middleware });

// 4.x moved the trigger into the options; 3.x takes it as the second argument.
const create = (options, trigger, handler) =>
  SDK_MAJOR === "3"
    ? inngest.createFunction(options, trigger, handler)
    : inngest.createFunction({ ...options, triggers: [trigger] }, handler);

const tracer = trace.getTracer("traces-app");

// A model call as an instrumented AI client traces it (OpenTelemetry GenAI conventions).
const askModel = (question) =>
  tracer.startActiveSpan("chat fake-model", (span) => {
    span.setAttributes({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "fake-ai",
      "gen_ai.request.model": "fake-model",
      "gen_ai.response.model": "fake-model-2026",
      "gen_ai.usage.input_tokens": 12,
      "gen_ai.usage.output_tokens": 5,
    });
    span.end();
    return { question, answer: "yes" };
  });

const functions = [
  create({ id: "traced" }, { event: `${APP_ID}/traced` }, async ({ event, step, runId }) => {
    const loaded = await step.run("load", async () =>
      tracer.startActiveSpan("db.query", async (span) => {
        span.setAttribute("db.statement", `select * from orders where id = ${event.data.order}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        span.end();
        return { order: event.data.order };
      }),
    );
    if (V4) {
      await step.metadata("note").set({ customer: "acme" });
      await step.score("score-quality", { name: "quality", value: 0.87 });
      await inngest.metadata.run(runId).set({ source: "api" }, "outside");
    }
    const charged = await step.run("charge", async () => {
      if (V4) await inngest.metadata.set({ amount: 42 }, "charge");
      return `charged ${loaded.order}`;
    });
    if (V4) await step.ai.wrap("ask", askModel, `is order ${event.data.order} paid?`);
    return { charged };
  }),
];

const handler = serve({ client: inngest, functions });
http.createServer((req, res) => {
  if (!req.url.startsWith("/api/inngest")) return res.writeHead(404).end();
  if (req.method === "POST") {
    const h = req.headers;
    const seen = {
      traceparent: h.traceparent, tracestate: h.tracestate,
      requestId: h["x-request-id"], jobId: h["x-inngest-job-id"],
    };
    console.log(`headers ${JSON.stringify(seen)}`);
  }
  return handler(req, res);
}).listen(PORT, "127.0.0.1", () => console.log(`traces app ${APP_ID} (inngest ${SDK_MAJOR}.x) on ${PORT}`));
