// Sends the events given as JSON in argv[2] with the official JS SDK's client (`inngest.send`)
// and prints the ids it got back: the SDK's own send path, with its `x-inngest-event-id-seed`
// header and its retries. Env: SDK_MAJOR (3|4), INNGEST_DEV=1, INNGEST_BASE_URL,
// INNGEST_EVENT_KEY.
const pkg = String(process.env.SDK_MAJOR || "4") === "3" ? "inngest3" : "inngest4";
const { Inngest } = await import(pkg);

const inngest = new Inngest({ id: "event-sender" });
const { ids } = await inngest.send(JSON.parse(process.argv[2]));
console.log(JSON.stringify(ids));
