"""The two JSON APIs: ours under /api/ (OpenAPI docs at /api/docs) and Inngest's /v1/."""

import json
from typing import Any

from ninja import NinjaAPI
from ninja.parser import Parser

from console.api import (
    actions,
    audit,
    decisions,
    events,
    fixtures,
    flow,
    insights,
    refusals,
    runs,
    timetravel,
    v1,
)
from foundation import strict_json
from foundation.nul import contains_nul, may_contain_nul
from runs.endpoint_views import router as endpoint_router
from runs.sdk_views import checkpoint_router, signal_router
from runs.telemetry_views import router as telemetry_router


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
# fixtures first: its POST /runs/import must match before runs' GET /runs/{run_id} does.
for module in (fixtures, runs, actions, events, decisions, flow, audit, timetravel, insights):
    api.add_router("/", module.router)
refusals.install(api)

v1_api = NinjaAPI(
    title="Inngest REST API (v1)",
    version="v1",
    urls_namespace="v1",
    docs_url=None,
    parser=StrictParser(),
)
v1_api.add_router("/", v1.router)
v1_api.add_router("/", checkpoint_router)
v1_api.add_router("/", endpoint_router)  # Durable Endpoints
v1_api.add_router("/", signal_router)
v1_api.add_router("/", telemetry_router)
