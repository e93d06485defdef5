"""Spec dicts for the toy family."""

TOY = {
    "name": "toy",
    "family": "toy",
    "data": {"channels": 1, "size": 8},
    "latent": {"dim": 4},
    "arch": {"hidden": 16},
    "training": {
        "batch_size": 8,
        "steps": 6,
        "checkpoint_every": 3,
        "sample_every": 100,
        "log_every": 1,
        "ema": {"network": "G", "beta": 0.9},
        "losses": {"adversarial": "toy_bce"},
    },
}
