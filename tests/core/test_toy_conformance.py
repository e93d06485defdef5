from __future__ import annotations

import copy

from genzoo.testing.conformance import FamilyConformance
from tests.toy import toy_plugin
from tests.toy.specs import TOY


class TestToyUnconditional(FamilyConformance):
    plugins = [("toy", toy_plugin)]
    spec = TOY


COND = copy.deepcopy(TOY)
COND.update(task="conditional", conditions={"kind": "class", "names": ["a", "b", "c"]})


class TestToyConditional(FamilyConformance):
    plugins = [("toy", toy_plugin)]
    spec = COND
