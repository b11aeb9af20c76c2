"""Create the folders the embedded defaults write to (``make run`` calls ``main``).

Settings only name these folders; nothing is created when they are imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import django
from django.conf import settings

from vocabularies.conf import import_dir


def broker_folders() -> list[Path]:
    """The filesystem broker's folders, when that transport is configured (else none)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    names = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    return [Path(options[name]) for name in names if options.get(name)]


def site_folders() -> list[Path]:
    """Every local folder the site writes to on its embedded defaults."""
    folders = [Path(settings.VAR_DIR), import_dir(), *broker_folders()]
    for value in (settings.STATIC_ROOT, settings.MEDIA_ROOT):
        if value:
            folders.append(Path(value))
    return folders


def folders_create(folders: list[Path]) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


def main() -> None:
    """Set Django up and create every folder (jobsite is imported already, so no ``-m``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")
    django.setup()
    folders_create(site_folders())
