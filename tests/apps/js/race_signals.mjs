// JS test functions for race-mode parallel steps (4.x: `group.parallel()` races by default)
// and signals (`step.waitForSignal`, `step.sendSignal`, `inngest.sendSignal`: 3.x and 4.x).
// A slow branch waits for a gate file the test creates, so the test decides when it ends.
import fs from "node:fs";

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const raceSignalFunctions = ({ createFunction, inngest, APP_ID, SDK_MAJOR, log }) => {
  const functions = [];
  if (SDK_MAJOR === "4") {
    functions.push(
      createFunction({ id: "race" }, { event: `${APP_ID}/race` }, async ({ event, step, group }) => {
        // "slow" comes first in code order: only a real race lets "fast" win.
        const winner = await group.parallel(async () => Promise.race([
          step.run("slow", async () => {
            while (!fs.existsSync(event.data.gate)) await pause(50);
            log("race:slow-done");
            return "slow";
          }),
          step.run("fast", () => "fast"),
        ]));
        const recorded = await step.run("after-race", () => {
          log(`race:after:${winner}`);
          return winner;
        });
        return { winner, recorded };
      }),
    );
  }
  functions.push(
    createFunction({ id: "signal-waiter" }, { event: `${APP_ID}/signal-wait` }, async ({ event, step }) => {
      try {
        const got = await step.waitForSignal("wait", {
          signal: event.data.signal,
          timeout: event.data.timeout || "1m",
          onConflict: event.data.onConflict || "fail",
        });
        return { got };
      } catch (error) {
        return { error: error.message };
      }
    }),

    createFunction({ id: "signal-sender" }, { event: `${APP_ID}/signal-send` }, async ({ event, step }) => {
      const sent = await step.sendSignal("send", { signal: event.data.signal, data: event.data.data });
      const nobody = await step.run("send-to-nobody", async () => {
        const { runId } = await inngest.sendSignal({ signal: `${event.data.signal}-nobody`, data: 1 });
        return runId ?? null;
      });
      return { runId: sent.runId ?? null, nobody };
    }),
  );
  return functions;
};
