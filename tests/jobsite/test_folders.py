"""The folders of the embedded defaults: named by the settings, created by `make run` (main)."""

from pathlib import Path

from jobsite.folders import broker_folders, folders_create, site_folders


def test_site_folders_are_below_the_var_folder_and_created_on_demand(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.STATIC_ROOT = tmp_path / "var" / "static"
    settings.MEDIA_ROOT = str(tmp_path / "var" / "media")
    settings.VOCABULARIES_IMPORT_DIR = None
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "var" / "broker" / "queue"),
        "control_folder": str(tmp_path / "var" / "broker" / "control"),
    }
    folders = site_folders()
    assert tmp_path / "var" / "imports" in folders and tmp_path / "var" / "broker" / "control" in folders
    assert not (tmp_path / "var").exists()
    folders_create(folders)
    assert all(Path(folder).is_dir() for folder in folders)


def test_no_broker_folders_on_redis(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert broker_folders() == []
