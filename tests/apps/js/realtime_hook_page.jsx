// A React page subscribing with the official realtime hooks, bundled for the browser by
// realtime_hook_server.mjs. Two panels on one channel (`?channel=`), topic `status`:
//   #js4:      npm inngest 4.x `useRealtime` (from "inngest4/react"), token from `token()`.
//   #realtime: @inngest/realtime 0.4.7 `useInngestSubscription`, token from `refreshToken()`.
// Each panel lists the data of the messages it received (one <li> each, JSON) and carries its
// hook's connection state in data-state; errors go to data-error.
import React from "react";
import { createRoot } from "react-dom/client";
import { useInngestSubscription } from "@inngest/realtime/hooks";
import { useRealtime } from "inngest4/react";

const channel = new URLSearchParams(window.location.search).get("channel");
const fetchToken = (flavour) =>
  fetch(`/token?flavour=${flavour}&channel=${encodeURIComponent(channel)}`).then((r) => r.json());

function Messages({ id, state, error, messages }) {
  return (
    <section id={id} data-state={state} data-error={error ? String(error.message ?? error) : ""}>
      <h2>{id}</h2>
      <ul>
        {messages.map((m, i) => (
          <li key={i} data-topic={m.topic}>{JSON.stringify(m.data)}</li>
        ))}
      </ul>
    </section>
  );
}

function Js4Panel() {
  const { connectionStatus, error, messages } = useRealtime({
    channel,
    topics: ["status"],
    token: () => fetchToken("js4"),
  });
  return <Messages id="js4" state={connectionStatus} error={error} messages={messages.all} />;
}

function RealtimePanel() {
  const { state, error, data } = useInngestSubscription({ refreshToken: () => fetchToken("realtime") });
  return <Messages id="realtime" state={state} error={error} messages={data} />;
}

createRoot(document.getElementById("root")).render(
  <>
    <Js4Panel />
    <RealtimePanel />
  </>,
);
