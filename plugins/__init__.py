"""genzoo's first-party plugins, loaded through the `genzoo` entry-point group like any other."""
