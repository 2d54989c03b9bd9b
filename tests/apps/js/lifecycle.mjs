// JS test functions for waitForEvent, invoke, sendEvent, parallel steps, onFailure, cancelOn,
// timeouts and crons: the same behaviour as tests/apps/py_lifecycle.py.

export function lifecycleFunctions({ createFunction, NonRetriableError, openai, APP_ID, log, logCount }) {
  const child = createFunction({ id: "invoked-child", retries: 0 }, { event: `${APP_ID}/child` },
    async ({ event, step }) => {
      if (event.data.fail) throw new NonRetriableError("child failed on purpose");
      if (event.data.slow) await step.sleep("dawdle", "10s");
      return { doubled: event.data.x * 2 };
    });

  const tenSteps = (id, options) =>
    createFunction({ id, ...options }, { event: `${APP_ID}/${id}` }, async ({ step, runId }) => {
      log(`${id}:${runId}:request`);
      let sum = 0;
      for (let i = 0; i < 10; i++) sum += await step.run(`s${i}`, () => i);
      return sum;
    });

  return [
    child,
    createFunction({ id: "loop-ids" }, { event: `${APP_ID}/loop` }, async ({ step }) => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await step.run("same", () => i));
      return out;
    }),
    tenSteps("ten-checkpointed", {}),
    tenSteps("ten-classic", { checkpointing: false }),
    createFunction({ id: "ai-infer", retries: 0 }, { event: `${APP_ID}/ai` }, async ({ event, step }) => {
      const model = openai({ model: "gpt-test", apiKey: "sk-test-key", baseUrl: event.data.base_url });
      try {
        const response = await step.ai.infer("ask-model", {
          model, body: { messages: [{ role: "user", content: event.data.prompt }] },
        });
        return { answer: response.choices[0].message.content };
      } catch (err) {
        return { error: err.message };
      }
    }),
    createFunction({ id: "wait-for-approval" }, { event: `${APP_ID}/wait` }, async ({ event, step }) => {
      const approval = await step.waitForEvent("approval", {
        event: `${APP_ID}/approval`,
        match: "data.id",
        timeout: `${event.data.timeout || 20}s`,
      });
      return { approval: approval ? approval.data : null };
    }),

    createFunction({ id: "invoker" }, { event: `${APP_ID}/invoke` }, async ({ event, step }) => {
      try {
        const result = await step.invoke("call-child", {
          function: child, data: event.data, timeout: `${event.data.timeout || 20}s`,
        });
        return { result };
      } catch (err) {
        return { error: err.message };
      }
    }),

    createFunction({ id: "fan-out" }, { event: `${APP_ID}/fanout` }, async ({ event, step }) => {
      const events = Array.from({ length: event.data.count }, (_, i) => ({
        name: `${APP_ID}/fanned`, data: { i, batch: event.data.batch },
      }));
      const { ids } = await step.sendEvent("send", events);
      return ids.length;
    }),

    createFunction({ id: "fanned" }, { event: `${APP_ID}/fanned` }, async ({ event }) => event.data.i),

    createFunction({ id: "parallel", retries: 2 }, { event: `${APP_ID}/parallel` }, async ({ step }) => {
      const results = await Promise.all([
        step.run("p1", () => { log("step:p1"); return "one"; }),
        step.run("p2", () => {
          if (logCount("parallel:shaky") < 2) throw new Error("first attempt fails");
          return "shaky";
        }),
        step.run("p3", () => { log("step:p3"); return "three"; }),
      ]);
      const after = await step.run("after", () => { log("step:after-parallel"); return "after"; });
      return [...results, after];
    }),

    createFunction({
      id: "doomed",
      retries: 0,
      onFailure: async ({ error, event }) => {
        log(`on-failure:${error.message}:${event.data.event.data.order}`);
        return { error: error.message };
      },
    }, { event: `${APP_ID}/doomed` }, async ({ step }) => {
      await step.run("explode", () => { throw new Error("kaboom"); });
    }),

    createFunction({
      id: "cancellable",
      cancelOn: [{ event: `${APP_ID}/cancel`, if: "event.data.id == async.data.id" }],
    }, { event: `${APP_ID}/cancellable` }, async ({ step }) => {
      await step.run("start", () => "started");
      await step.sleep("long-nap", "30s");
      await step.run("after-cancel", () => { log("step:after-cancel"); return "x"; });
      return "not cancelled";
    }),

    createFunction({ id: "finish-timeout", timeouts: { finish: "2s" } }, { event: `${APP_ID}/timeout` },
      async ({ step }) => {
        await step.run("begin", () => "begun");
        await step.sleep("too-long", "10s");
        await step.run("never", () => { log("step:never"); return "x"; });
        return "finished in time";
      }),

    createFunction({ id: "paris-cron" }, { cron: "TZ=Europe/Paris * * * * *" }, async ({ step, event }) => {
      await step.run("tick", () => { log("cron:tick"); return "tick"; });
      return event.name;
    }),
  ];
}

