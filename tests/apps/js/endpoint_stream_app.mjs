// Streaming Durable Endpoints (npm inngest 4.x `inngest.endpoint()` with `stream.push`), for a
// caller that asks for `Accept: text/event-stream` (endpoint_stream_client.mjs):
//   GET /streamed: "one " pushed inside step "first", "two" inside step "second", answers
//     {done: true}: the whole stream comes from the endpoint, in its request.
//   GET /streamed-async: "one " inside step "first", then step.sleep("nap", "1s"), then "two"
//     inside step "second", answers {done: true, after: "nap"}: the request's own stream ends at
//     the sleep with `inngest.redirect_info`, and the rest reaches the caller through the
//     server: the SDK tees it to /v1/realtime/publish/tee when the server calls the endpoint
//     back, and the caller reads it from /v1/realtime/sse with the run's realtime token.
// Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { Inngest, step } from "inngest4";
import { stream } from "inngest4/experimental/durable-endpoints";
import { endpointAdapter, serveEndpoint } from "inngest4/node";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "endpoint-stream-app";

const inngest = new Inngest({ id: APP_ID, endpointAdapter });

const streamed = inngest.endpoint(async () => {
  await step.run("first", () => {
    stream.push("one ");
    return "first";
  });
  await step.run("second", () => {
    stream.push("two");
    return "second";
  });
  return { done: true };
});

const streamedAsync = inngest.endpoint(async () => {
  await step.run("first", () => {
    stream.push("one ");
    return "first";
  });
  await step.sleep("nap", "1s");
  await step.run("second", () => {
    stream.push("two");
    return "second";
  });
  return { done: true, after: "nap" };
});

const routes = { "/streamed": serveEndpoint(streamed), "/streamed-async": serveEndpoint(streamedAsync) };
http.createServer((req, res) => {
  const route = routes[new URL(req.url, "http://x").pathname];
  if (route) return route(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`endpoint stream app ${APP_ID} on ${PORT}`));
