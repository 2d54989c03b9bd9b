"""Runs: apps, functions, runs, steps and the executor that drives them through the SDKs."""
