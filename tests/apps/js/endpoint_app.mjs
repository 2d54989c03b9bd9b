// Durable Endpoints test app (`inngest.endpoint()`), npm inngest 4.x only: 3.x has no endpoints.
//   GET /hello?name=ada: two steps, answers {greeting, shout} (the run ends in the request).
//   GET /sleepy: a step, then step.sleep: the run would go on after the request (the SDK
//     redirects the caller to the server's /v1/http/runs/{id}/output).
// Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { Inngest, step } from "inngest4";
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
  await step.run("before", () => "before");
  await step.sleep("nap", "1s");
  return { woke: true };
});

const routes = { "/hello": serveEndpoint(hello), "/sleepy": serveEndpoint(sleepy) };
http.createServer((req, res) => {
  const route = routes[new URL(req.url, "http://x").pathname];
  if (route) return route(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`endpoint app ${APP_ID} on ${PORT}`));
