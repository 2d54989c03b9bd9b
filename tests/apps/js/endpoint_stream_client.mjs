// A streaming Durable Endpoint's caller on the SDK's own client (npm inngest 4.x
// `fetchWithStream` from "inngest4/experimental/durable-endpoints/client"): fetches URL with
// `Accept: text/event-stream`, follows `inngest.redirect_info` to the server's SSE stream, and
// prints one JSON line: {runId, data: [pushed values in order], commits, rollbacks, status,
// body} (status and body of the final response it rebuilt).
import { fetchWithStream } from "inngest4/experimental/durable-endpoints/client";

const seen = { runId: null, data: [], commits: [], rollbacks: [] };
const response = await fetchWithStream(process.argv[2], {
  onMetadata: ({ runId }) => (seen.runId = runId),
  onData: ({ data }) => seen.data.push(data),
  onCommit: ({ hashedStepId }) => seen.commits.push(hashedStepId),
  onRollback: ({ hashedStepId }) => seen.rollbacks.push(hashedStepId),
});
console.log(JSON.stringify({ ...seen, status: response.status, body: await response.text() }));
// The server's SSE stream stays open after the answer (as Inngest's does, until its timeout);
// fetchWithStream leaves that connection to its caller, which here has all it wanted.
process.exit(0);
