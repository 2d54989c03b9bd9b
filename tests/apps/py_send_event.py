"""Sends the events given as JSON in argv[1] with the official Python SDK's client
(`send_sync`) and prints the ids it got back: the SDK's own send path, with its
`x-inngest-event-id-seed` header and its retries. Env: INNGEST_BASE_URL, INNGEST_EVENT_KEY."""

import json
import os
import sys

import inngest

client = inngest.Inngest(
    app_id="event-sender",
    is_production=False,
    event_api_base_url=os.environ["INNGEST_BASE_URL"],
    event_key=os.environ["INNGEST_EVENT_KEY"],
)
events = [inngest.Event(**event) for event in json.loads(sys.argv[1])]
print(json.dumps(client.send_sync(events)))
