// Streaming Durable Endpoints (npm inngest 4.x `inngest.endpoint()` with `stream.push`), for a
// caller that asks for `Accept: text/event-stream` (endpoint_stream_client.mjs):
//   GET /streamed: "one " pushed inside step "first", "two" inside step "second" (which also
//     sets metadata `stream` {pushed: 2} on its op), answers {done: true}: the whole stream
//     comes from the endpoint, in its request.
//   GET /streamed-async?key=K: "one " inside step "first", then step.waitForEvent("go",
//     "test/stream.go" with data.key == K), then `step.ai.wrap("second", ...)` around a (fake,
//     traced) model call that pushes "two", answers {done: true, after: "go"}: the request's
//     own stream ends at the wait, after `inngest.redirect_info`, and the rest reaches the
//     caller through the server: the SDK
//     tees it to /v1/realtime/publish/tee when the server calls the endpoint back, and the
//     caller reads it from /v1/realtime/sse with the run's realtime token. The model call's
//     `gen_ai.*` span becomes the step's `inngest.ai` metadata (the SDK reads AI usage only in
//     a call that carries a traceparent: the server's call back, not the caller's request).
// Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { context, trace } from "@opentelemetry/api";
import { AsyncHooksContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { Inngest, step } from "inngest4";
import { stream } from "inngest4/experimental/durable-endpoints";
import { metadataMiddleware } from "inngest4/experimental";
import { endpointAdapter, serveEndpoint } from "inngest4/node";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "endpoint-stream-app";

// The OpenTelemetry provider the SDK reads AI usage from must exist before the client.
trace.setGlobalTracerProvider(new BasicTracerProvider());
context.setGlobalContextManager(new AsyncHooksContextManager().enable());
const inngest = new Inngest({ id: APP_ID, endpointAdapter, middleware: [metadataMiddleware()] });
const tracer = trace.getTracer(APP_ID);

// A model call as an instrumented AI client traces it, streaming its answer to the caller.
const askModel = (question) =>
  tracer.startActiveSpan("chat fake-model", (span) => {
    span.setAttributes({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "fake-model",
      "gen_ai.usage.input_tokens": 7,
      "gen_ai.usage.output_tokens": 1,
    });
    stream.push("two");
    span.end();
    return { question, answer: "two" };
  });

const streamed = inngest.endpoint(async () => {
  await step.run("first", () => {
    stream.push("one ");
    return "first";
  });
  await step.run("second", async () => {
    stream.push("two");
    await inngest.metadata.set({ pushed: 2 }, "stream");
    return "second";
  });
  return { done: true };
});

const streamedAsync = inngest.endpoint(async (req) => {
  const key = new URL(req.url).searchParams.get("key") ?? "";
  await step.run("first", () => {
    stream.push("one ");
    return "first";
  });
  await step.waitForEvent("go", { event: "test/stream.go", timeout: "60s", if: `async.data.key == "${key}"` });
  await step.ai.wrap("second", askModel, "and then?");
  return { done: true, after: "go" };
});

const routes = { "/streamed": serveEndpoint(streamed), "/streamed-async": serveEndpoint(streamedAsync) };
http.createServer((req, res) => {
  const route = routes[new URL(req.url, "http://x").pathname];
  if (route) return route(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`endpoint stream app ${APP_ID} on ${PORT}`));
