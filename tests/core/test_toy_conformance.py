from __future__ import annotations

import copy
from typing import ClassVar

from genzoo.testing.conformance import FamilyConformance
from tests.toy import toy_plugin
from tests.toy.specs import TOY


class TestToyUnconditional(FamilyConformance):
    plugins: ClassVar = [("toy", toy_plugin)]
    spec: ClassVar = TOY


COND = copy.deepcopy(TOY)
COND.update(task="conditional", conditions={"kind": "class", "names": ["a", "b", "c"]})


class TestToyConditional(FamilyConformance):
    plugins: ClassVar = [("toy", toy_plugin)]
    spec: ClassVar = COND
