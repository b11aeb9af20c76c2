"""`manage.py seed_records [--count N]`: create or refresh a few dozen varied demo records."""

from django.core.management.base import BaseCommand

from exports.demo import demo_metadata
from exports.services import record_save


class Command(BaseCommand):
    help = "Create or refresh varied demo records (idempotent: same DOIs every time)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=40)

    def handle(self, *args, count, **options):
        for i in range(count):
            # Names stored on every link: `make run` loads no vocabulary, and an unnamed link it does not
            # know could not be exported (exports.links).
            doi, metadata = demo_metadata(i, named_links=True)
            record_save(doi=doi, metadata=metadata, deleted=i % 17 == 16)
        self.stdout.write(f"seeded {count} records")
