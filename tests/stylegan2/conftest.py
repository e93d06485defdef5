"""StyleGAN2 tests run tiny networks: one intra-op thread is fastest, and fair to a busy
machine (with two threads on two shared cores, every op waits for a busy core)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
