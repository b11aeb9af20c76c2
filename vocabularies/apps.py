"""The vocabularies app: after ``migrate`` the import folder exists (``make run``, docker compose)."""

import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from vocabularies.conf import import_dir

logger = logging.getLogger(__name__)


def import_dir_create(sender=None, **kwargs):
    """Create the import folder (``VOCABULARIES_IMPORT_DIR``) so that copying a dump into it works at once."""
    folder = import_dir()
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        logger.info("import_dir_created path=%s", folder)


class VocabulariesConfig(AppConfig):
    name = "vocabularies"
    verbose_name = "Vocabularies"

    def ready(self):
        post_migrate.connect(import_dir_create, sender=self, dispatch_uid="vocabularies_import_dir")
