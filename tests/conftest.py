"""Shared test set-up: no network, no user config file, the fake Hub fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("GENZOO_CONFIG", os.devnull)
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

pytest_plugins = ["genzoo.testing.hub_fixtures"]
