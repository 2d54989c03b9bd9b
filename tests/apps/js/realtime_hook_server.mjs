// Serves realtime_hook_page.jsx to a browser: bundles it with esbuild into BUNDLE_DIR at start
// (nothing committed), then answers
//   GET /?channel=C   the page;  GET /page.js   the bundle;
//   GET /token?flavour=js4|realtime&channel=C   a subscription token for C's topic `status`,
//     minted here, server side, as an app would: inngest 4.x `getClientSubscriptionToken`
//     ({key, apiBaseUrl}) or @inngest/realtime `getSubscriptionToken` ({channel, topics, key}).
// The browser's @inngest/realtime finds the server through NEXT_PUBLIC_INNGEST_BASE_URL, inlined
// into the bundle as Next.js would; 4.x's hook takes it from the token's apiBaseUrl.
// Env: PORT, BUNDLE_DIR, INNGEST_BASE_URL (+ INNGEST_DEV / INNGEST_SIGNING_KEY).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { Inngest as Inngest3 } from "inngest3"; // the 3.x line @inngest/realtime is built for
import { Inngest } from "inngest4";
import { getClientSubscriptionToken } from "inngest4/react";
import { getSubscriptionToken } from "@inngest/realtime";

const PORT = Number(process.env.PORT || 3000);
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(process.env.BUNDLE_DIR, "page.js");

await esbuild.build({
  entryPoints: [path.join(here, "realtime_hook_page.jsx")],
  outfile: bundle,
  bundle: true,
  format: "esm",
  platform: "browser",
  jsx: "automatic",
  logLevel: "warning",
  define: {
    "process.env": JSON.stringify({
      NODE_ENV: "development",
      NEXT_PUBLIC_INNGEST_BASE_URL: process.env.INNGEST_BASE_URL,
    }),
  },
});

const app4 = new Inngest({ id: "realtime-hook-page" });
const app3 = new Inngest3({ id: "realtime-hook-page" });
const mint = {
  js4: (channel) => getClientSubscriptionToken(app4, { channel, topics: ["status"] }),
  realtime: (channel) => getSubscriptionToken(app3, { channel, topics: ["status"] }),
};
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>realtime hooks</title></head>
<body><div id="root"></div><script type="module" src="/page.js"></script></body></html>`;

http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://page");
  try {
    if (url.pathname === "/") return res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    if (url.pathname === "/page.js") {
      return res.writeHead(200, { "content-type": "text/javascript" }).end(fs.readFileSync(bundle));
    }
    if (url.pathname === "/token" && mint[url.searchParams.get("flavour")]) {
      const token = await mint[url.searchParams.get("flavour")](url.searchParams.get("channel"));
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(token));
    }
    res.writeHead(404).end();
  } catch (err) {
    console.error(err);
    res.writeHead(500).end(String(err));
  }
}).listen(PORT, "127.0.0.1", () => console.log(`realtime hook page on ${PORT}`));
