"""The two JSON APIs: ours under /api/ (OpenAPI docs at /api/docs) and Inngest's /v1/."""

import json
from typing import Any

from ninja import NinjaAPI
from ninja.parser import Parser

from console.api import router as console_router
from events.api import router as events_router
from flowcontrol.api import router as flowcontrol_router
from foundation import strict_json
from foundation.nul import contains_nul, may_contain_nul
from runs.actions_api import router as actions_router
from runs.api import router as runs_router
from runs.rest_v1 import router as v1_router


class StrictParser(Parser):
    """django-ninja request bodies, parsed as strictly as every other JSON we take in."""

    def parse_body(self, request: Any) -> Any:
        value = strict_json.loads(request.body)
        if may_contain_nul(request.body) and contains_nul(value):
            raise json.JSONDecodeError("NUL characters (\\u0000) cannot be stored", "", 0)
        return value


api = NinjaAPI(
    title="Inngest dev server API", version="1", urls_namespace="api", parser=StrictParser()
)
api.add_router("/", runs_router)
api.add_router("/", actions_router)
api.add_router("/", events_router)
api.add_router("/", flowcontrol_router)
api.add_router("/", console_router)

v1 = NinjaAPI(
    title="Inngest REST API (v1)",
    version="v1",
    urls_namespace="v1",
    docs_url=None,
    parser=StrictParser(),
)
v1.add_router("/", v1_router)
