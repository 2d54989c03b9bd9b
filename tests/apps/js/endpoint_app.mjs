// Durable Endpoints test app (`inngest.endpoint()`), npm inngest 4.x only: 3.x has no endpoints.
//   GET /hello?name=ada: two steps, answers {greeting, shout} (the run ends in the request).
//   GET /sleepy: a step, then step.sleep("1s"), then answers {woke, before}: the run goes on
//     after the request (the SDK redirects the caller to the server's /v1/http/runs/{id}/output
//     and the server calls the endpoint back after the sleep).
//   POST /flaky?key=K: a step that throws on its first attempt (counted per key in this
//     process), answers {tries, method} with the method of the call that ran it (the SDK reads
//     the request's body itself: the handler cannot read it again).
//   GET /waiter?key=K: step.waitForEvent("test/endpoint.go", if data.key == K, 60s), answers
//     {got} with the event's data.
//   GET /fails: throws a NonRetriableError (the SDK answers it without reporting the error).
// Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { Inngest, NonRetriableError, step } from "inngest4";
import { endpointAdapter, serveEndpoint } from "inngest4/node";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "endpoint-app";

const inngest = new Inngest({ id: APP_ID, endpointAdapter });

const hello = inngest.endpoint(async (req) => {
  const name = new URL(req.url).searchParams.get("name") ?? "world";
  const greeting = await step.run("greet", () => `hello ${name}`);
  const shout = await step.run("shout", () => greeting.toUpperCase());
  return { greeting, shout };
});

const sleepy = inngest.endpoint(async () => {
  const before = await step.run("before", () => "before");
  await step.sleep("nap", "1s");
  return { woke: true, before };
});

const tries = new Map();
const flaky = inngest.endpoint(async (req) => {
  const key = new URL(req.url).searchParams.get("key") ?? "";
  const count = await step.run("flaky", () => {
    tries.set(key, (tries.get(key) ?? 0) + 1);
    if (tries.get(key) === 1) throw new Error("first try fails");
    return tries.get(key);
  });
  return { tries: count, method: req.method };
});

const waiter = inngest.endpoint(async (req) => {
  const key = new URL(req.url).searchParams.get("key") ?? "";
  const got = await step.waitForEvent("go", {
    event: "test/endpoint.go",
    timeout: "60s",
    if: `async.data.key == "${key}"`,
  });
  return { got: got?.data ?? null };
});

const fails = inngest.endpoint(async () => {
  await step.run("ok", () => "ok");
  throw new NonRetriableError("no way");
});

const routes = {
  "/hello": serveEndpoint(hello),
  "/sleepy": serveEndpoint(sleepy),
  "/flaky": serveEndpoint(flaky),
  "/waiter": serveEndpoint(waiter),
  "/fails": serveEndpoint(fails),
};
http.createServer((req, res) => {
  const route = routes[new URL(req.url, "http://x").pathname];
  if (route) return route(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`endpoint app ${APP_ID} on ${PORT}`));
