"""A plugin that registers a family name the toy plugin already uses, plus a valid one."""

from genzoo.plugins import hookimpl
from genzoo.registry import Family
from tests.toy.toy_plugin import ToyArch


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(Family(name="toy", arch=ToyArch, model="tests.toy.toy_model:ToyGAN"))
    register(Family(name="toy2", arch=ToyArch, model="tests.toy.toy_model:ToyGAN"))
