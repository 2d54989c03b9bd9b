"""Websockets for live views: a page joins one group and is told when something in it changed;
it then re-fetches its own fragments, so the server renders every byte the user sees. The
engine publishes to the groups (runs/live.py) after its changes commit."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from runs import live


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/runs/` (the runs list), `/ws/runs/<id>/` (one run), `/ws/bulk/<id>/` (an action),
    `/ws/events/` (the events list)."""

    group = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if settings.REQUIRE_LOGIN and not (user and user.is_authenticated):
            await self.close(code=4401)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        if "run_id" in kwargs:
            self.group = live.run_group(kwargs["run_id"])
        elif "bulk_id" in kwargs:
            self.group = live.bulk_group(int(kwargs["bulk_id"]))
        elif kwargs.get("list") == "events":
            self.group = live.EVENTS_GROUP
        else:
            self.group = live.RUNS_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def run_changed(self, message: dict) -> None:
        await self.send_json(
            {"kind": "run", "run_id": message["run_id"], "status": message["status"]}
        )

    async def step_changed(self, message: dict) -> None:
        await self.send_json({"kind": "step", "run_id": message["run_id"], "step": message["step"]})

    async def bulk_changed(self, message: dict) -> None:
        await self.send_json(
            {"kind": "bulk", "bulk_id": message["bulk_id"], "done": message["done"]}
        )

    async def events_stored(self, message: dict) -> None:
        await self.send_json({"kind": "events", "count": message["count"]})
