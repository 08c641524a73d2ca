"""PEP 517 backend: setuptools.build_meta, taken from the interpreter's
own installation (Debian's python3-setuptools) when pip's isolated build
environment hides it, and asking for nothing to be downloaded."""
import site
import sys

try:
    import setuptools  # noqa: F401
except ImportError:
    for path in site.getsitepackages([sys.base_prefix]):
        if path not in sys.path:
            sys.path.append(path)

from setuptools.build_meta import (  # noqa: E402,F401
    build_sdist, build_wheel, prepare_metadata_for_build_wheel)

try:
    from setuptools.build_meta import build_editable  # noqa: F401
except ImportError:  # setuptools < 64
    pass


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []
