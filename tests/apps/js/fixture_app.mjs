// Runs-as-fixtures test app, npm `inngest` 4.x (the bare `inngest`, the copy @inngest/test
// drives): its function is run on the dev server, exported as a fixture, then replayed offline
// by replay_fixture.mjs, which imports `functions` from here without serving.
//   `<APP_ID>/checkout` {items, user}: a quote (stamped with the time), a charge (a random id),
//     a one-second sleep, a receipt (time again); returns them. Run again, the steps would
//     return other values: a replay equal to the run used the recorded memos.
// Run as a script it serves the function. Env: PORT, APP_ID, INNGEST_DEV / INNGEST_BASE_URL.
import http from "node:http";
import { pathToFileURL } from "node:url";
import { Inngest } from "inngest";
import { serve } from "inngest/node";

const APP_ID = process.env.APP_ID || "fixture-js";

export const inngest = new Inngest({ id: APP_ID });

export const checkout = inngest.createFunction(
  { id: "checkout", retries: 0, triggers: [{ event: `${APP_ID}/checkout` }] },
  async ({ event, step }) => {
    const quote = await step.run("quote", () => ({ cents: event.data.items * 250, at: Date.now() }));
    const charge = await step.run("charge", () => ({ id: `ch_${Math.random().toString(36).slice(2)}`, cents: quote.cents }));
    await step.sleep("settle", "1s");
    const receipt = await step.run("receipt", () => `receipt-${charge.id}-${Date.now()}`);
    return { user: event.data.user, quote, charge, receipt };
  },
);

export const functions = [checkout];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const PORT = Number(process.env.PORT || 3000);
  http.createServer(serve({ client: inngest, functions })).listen(PORT, "127.0.0.1");
}
