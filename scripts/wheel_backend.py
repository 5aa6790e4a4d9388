"""The build backend named in pyproject.toml: whool, keeping the wheel to the addon.

whool (OCA's backend) packs every file git tracks in the addon's folder; here
the repository root is the addon, so the benchmarks, these scripts, CI and
lint settings would land in Odoo's addons path. The wheel leaves them out;
the sdist keeps the whole source (this file included), and a wheel built
from it leaves them out the same way.
"""

import shutil
from contextlib import contextmanager

from whool import buildapi
from whool.buildapi import (  # the hooks this backend passes on unchanged
    build_editable,
    build_sdist,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

# The repository's own tooling, beside the addon (every dotfile is left out too).
NOT_THE_ADDON = ("bench", "scripts", "requirements-dev.txt", "ruff.toml")

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]


@contextmanager
def _addon_only():
    """While a wheel is built, whool's copy of the sources drops the tooling.
    whool has no option for this; its copy function is the one place all its
    files go through, so a whool without it fails here rather than ship them."""
    copy = buildapi._copy_to

    def copy_addon(addon_dir, dst):
        copy(addon_dir, dst)
        for path in dst.iterdir():
            if path.name not in NOT_THE_ADDON and not path.name.startswith("."):
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()

    buildapi._copy_to = copy_addon
    try:
        yield
    finally:
        buildapi._copy_to = copy


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with _addon_only():
        return buildapi.build_wheel(wheel_directory, config_settings, metadata_directory)
