"""Security tests run in process, with the integration layer's fixtures: a scripted fake SDK,
Celery sends recorded, the clock moved by hand, and no subprocess."""

from tests.integration.conftest import (  # noqa: F401  (fixtures, shared by import)
    _filters_in_process,
    _no_subprocess,
    celery_sent,
    fake_sdk,
    time_travel,
)
