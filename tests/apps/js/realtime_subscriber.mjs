// A realtime subscriber on an official client, writing what it receives as JSON lines to OUT.
//   CLIENT=js4:      inngest 4.x `subscribe` (from "inngest4/realtime").
//   CLIENT=realtime: @inngest/realtime 0.4.7 `subscribe`.
// The token: TOKEN_JSON (a key minted elsewhere, e.g. by the Python SDK), else one minted by the
// flavour's own `getSubscriptionToken` for TOKEN_TOPICS (default: TOPICS). TOPICS are the topics
// the subscriber asks for; a topic outside the token must never arrive.
// Env: CHANNEL, TOPICS, OUT, INNGEST_BASE_URL (+ INNGEST_DEV / INNGEST_SIGNING_KEY).
import fs from "node:fs";

const out = (record) => fs.appendFileSync(process.env.OUT, `${JSON.stringify(record)}\n`);
const channel = process.env.CHANNEL;
const topics = process.env.TOPICS.split(",");
const tokenTopics = (process.env.TOKEN_TOPICS || process.env.TOPICS).split(",");
const flavour = process.env.CLIENT || "js4";

let subscribe;
let key;
if (flavour === "js4") {
  const { Inngest } = await import("inngest4");
  const realtime = await import("inngest4/realtime");
  subscribe = (token, onMessage) => realtime.subscribe({ ...token, onMessage });
  const app = new Inngest({ id: "realtime-subscriber" });
  key = process.env.TOKEN_JSON
    ? JSON.parse(process.env.TOKEN_JSON).key
    : (await realtime.getSubscriptionToken(app, { channel, topics: tokenTopics })).key;
} else {
  const { Inngest } = await import("inngest3"); // the 3.x line @inngest/realtime is built for
  const realtime = await import("@inngest/realtime");
  subscribe = (token, onMessage) => realtime.subscribe(token, onMessage);
  const app = new Inngest({ id: "realtime-subscriber" });
  key = process.env.TOKEN_JSON
    ? JSON.parse(process.env.TOKEN_JSON).key
    : (await realtime.getSubscriptionToken(app, { channel, topics: tokenTopics })).key;
}

await subscribe({ channel, topics, key, apiBaseUrl: process.env.INNGEST_BASE_URL }, (message) => {
  const { kind, channel: ch, topic, data, runId } = message;
  out({ kind, channel: ch, topic, data: typeof data === "string" ? data : data, runId: runId ?? null });
});
out({ kind: "ready" });
// Stay subscribed until the test stops this process.
setInterval(() => {}, 1 << 30);
