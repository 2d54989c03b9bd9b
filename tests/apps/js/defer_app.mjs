// defer() test app (opcodes DeferAdd / DeferAbort), npm inngest 4.x only: 3.x has no defer().
//   `<APP_ID>/defer` {user}: a step, defer("score", scorer, {user}), defer("skipped", ...) that is
//     aborted after a second step; returns "done". The scorer then runs once, for `user` only.
//   `<APP_ID>/defer-fail` {user}: defers, then throws NonRetriableError: the run fails and its
//     defer still runs (as in Inngest, defers are scheduled however the run ends).
//   `<APP_ID>-scorer`: the deferred function (createDefer): returns {user, parent} where
//     `parent` is the run id the SDK read from the event's `_inngest` metadata.
// Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";
import { Inngest, NonRetriableError } from "inngest4";
import { createDefer } from "inngest4/experimental";
import { serve } from "inngest4/node";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "defer-app";

const inngest = new Inngest({ id: APP_ID });

const scorer = createDefer(inngest, { id: "scorer" }, async ({ event, step, parents }) => {
  const user = await step.run("score", () => event.data.user);
  return { user, parent: parents?.[0]?.runId ?? null };
});

const functions = [
  scorer,
  inngest.createFunction(
    { id: "defer", triggers: [{ event: `${APP_ID}/defer` }] },
    async ({ event, step, defer }) => {
      await step.run("one", () => 1);
      defer("score", { function: scorer, data: { user: event.data.user } });
      const skipped = defer("skipped", { function: scorer, data: { user: "never" } });
      await step.run("two", () => 2);
      skipped.abort();
      await step.run("three", () => 3);
      return "done";
    },
  ),
  inngest.createFunction(
    { id: "defer-fail", retries: 0, triggers: [{ event: `${APP_ID}/defer-fail` }] },
    async ({ event, step, defer }) => {
      await step.run("one", () => 1);
      defer("score", { function: scorer, data: { user: event.data.user } });
      throw new NonRetriableError("parent broke");
    },
  ),
];

const handler = serve({ client: inngest, functions });
http.createServer((req, res) => {
  if (req.url.startsWith("/api/inngest")) return handler(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`defer app ${APP_ID} on ${PORT}`));
