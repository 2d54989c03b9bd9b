"""The engine: apps, functions and their specs, runs, steps, the queue and the executor that
drives runs through the SDKs; every status change goes through states.py."""
