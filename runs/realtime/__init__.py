"""Realtime: SDKs publish messages to a channel's topics during a run, and subscribers holding a
token for those topics receive them over a websocket or an SSE stream. Nothing is stored: a
message reaches whoever is subscribed when it is published (as in Inngest), through the channel
layer (in memory embedded, Redis in staging). protocol.py says where each wire shape comes from."""
