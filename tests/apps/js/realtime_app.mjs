// Realtime test app: a function that publishes during its run, on one of two SDK flavours.
//   SDK_MAJOR=4: inngest 4.x built-in realtime (`step.realtime.publish`, `inngest.realtime.publish`,
//                a streamed publish from a ReadableStream).
//   SDK_MAJOR=3: inngest 3.x (the 3.54.2 that @inngest/realtime 0.4.7 depends on) with
//                `realtimeMiddleware()` and the `publish` it adds to the handler's context.
// Channel `orders:<order>`, topics `status`, `secret` and (4.x) `stream`: inngest 4.24.0's own
// subscriber throws on a stream (TokenSubscription reads `stream` inside its ReadableStream's
// start(), before the constant exists), so streams go to a topic only the raw SSE test reads. Event `<APP_ID>/publish` with
// `{order}`. Env: PORT, APP_ID, SDK_MAJOR, INNGEST_DEV / INNGEST_BASE_URL (and keys in staging).
import http from "node:http";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "rt-app";
const SDK_MAJOR = String(process.env.SDK_MAJOR || "4");

let inngest;
let functions;
let serve;
if (SDK_MAJOR === "4") {
  const { Inngest } = await import("inngest4");
  ({ serve } = await import("inngest4/node"));
  const { channel } = await import("inngest4/realtime");
  inngest = new Inngest({ id: APP_ID });
  const orders = channel({ name: (order) => `orders:${order}`, topics: { status: {}, secret: {}, stream: {} } });
  functions = [
    inngest.createFunction(
      { id: "publish", triggers: [{ event: `${APP_ID}/publish` }] },
      async ({ event, step }) => {
        const ch = orders(event.data.order);
        await step.realtime.publish("packed", ch.status, { status: "packed" });
        await step.realtime.publish("hidden", ch.secret, { card: "4242" });
        await step.run("between", () => "ok");
        await inngest.realtime.publish(ch.status, { status: "shipped" });
        const text = new ReadableStream({
          start(controller) {
            for (const part of ["tok-1 ", "tok-2 ", "tok-3"]) controller.enqueue(new TextEncoder().encode(part));
            controller.close();
          },
        });
        await step.run("stream", () => inngest.realtime.publish(ch.stream, text).then(() => "streamed"));
        return { done: true };
      },
    ),
  ];
} else {
  // inngest3: the 3.x line @inngest/realtime 0.4.7 is built for (the bare `inngest` is 4.x, the
  // peer @inngest/test brings); the two 3.54.2 copies share the SDK's global async context.
  const { Inngest } = await import("inngest3");
  ({ serve } = await import("inngest3/node"));
  const { channel, topic } = await import("@inngest/realtime");
  const { realtimeMiddleware } = await import("@inngest/realtime/middleware");
  inngest = new Inngest({ id: APP_ID, middleware: [realtimeMiddleware()] });
  const orders = channel((order) => `orders:${order}`).addTopic(topic("status")).addTopic(topic("secret"));
  functions = [
    inngest.createFunction({ id: "publish" }, { event: `${APP_ID}/publish` }, async ({ event, step, publish }) => {
      await publish(orders(event.data.order).status({ status: "packed" }));
      await publish(orders(event.data.order).secret({ card: "4242" }));
      await step.run("between", () => "ok");
      await publish(orders(event.data.order).status({ status: "shipped" }));
      return { done: true };
    }),
  ];
}

const handler = serve({ client: inngest, functions });
http.createServer((req, res) => {
  if (req.url.startsWith("/api/inngest")) return handler(req, res);
  res.writeHead(404).end();
}).listen(PORT, "127.0.0.1", () => console.log(`realtime app ${APP_ID} (inngest ${SDK_MAJOR}.x) on ${PORT}`));
