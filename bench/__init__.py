"""Benchmarks that run the real dev server and a real SDK app, and set each figure beside its
floor (what the same machine can do at best) measured in the same invocation."""
