// A streaming Durable Endpoint's caller on the SDK's own client (npm inngest 4.x
// `fetchWithStream` from "inngest4/experimental/durable-endpoints/client"): fetches the URL
// given with `Accept: text/event-stream` and follows `inngest.redirect_info` to the server's SSE
// stream. Writes JSON lines to OUT: {run: id} on `inngest.metadata`, {subscribed: url} once
// the server's stream has answered
// (its headers come once the subscription is in place: what is teed from then on reaches
// it), then {runId, data: [pushed values in order], commits, rollbacks, status, body} (status
// and body of the final response it rebuilt).
import fs from "node:fs";
import { fetchWithStream } from "inngest4/experimental/durable-endpoints/client";

const out = (record) => fs.appendFileSync(process.env.OUT, `${JSON.stringify(record)}\n`);
const url = process.argv[2];
const seen = { runId: null, data: [], commits: [], rollbacks: [] };
const response = await fetchWithStream(url, {
  fetch: async (target, init) => {
    const answer = await fetch(target, init);
    if (String(target) !== url) out({ subscribed: String(target) });
    return answer;
  },
  onMetadata: ({ runId }) => {
    seen.runId = runId;
    out({ run: runId });
  },
  onData: ({ data }) => seen.data.push(data),
  onCommit: ({ hashedStepId }) => seen.commits.push(hashedStepId),
  onRollback: ({ hashedStepId }) => seen.rollbacks.push(hashedStepId),
});
out({ ...seen, status: response.status, body: await response.text() });
// The server's SSE stream stays open after the answer (as Inngest's does, until its timeout);
// fetchWithStream leaves that connection to its caller, which here has all it wanted.
process.exit(0);
