"""The settings of a filter worker that is slow to start (tests/security/test_filter_isolation.py):
the server's own, read after a pause of SLOW_WORKER_PAUSE seconds."""

import os
import time

from devserver.settings import *  # noqa: F403

time.sleep(float(os.environ["SLOW_WORKER_PAUSE"]))
