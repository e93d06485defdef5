"""Testing kit for genzoo and for third-party plugin authors.

* :mod:`genzoo.testing.pytest_plugin` (auto-loaded by pytest through the ``pytest11`` entry
  point) provides fixtures: ``genzoo_settings`` (store and cache in a temporary folder) and
  ``make_zoo`` (an isolated zoo that does not discover installed plugins).
* :mod:`genzoo.testing.conformance` holds :class:`FamilyConformance`, the tests every family
  must pass: build, sample shape and range, deterministic seeds, a few real training steps,
  a safetensors round trip and strict weight checks. Subclass it in your plugin's tests.
* :mod:`genzoo.testing.hub_server` is a loopback fake Hugging Face Hub for tests.
"""
