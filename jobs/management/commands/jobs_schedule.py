"""``manage.py jobs_schedule JOB --cron ... | --every ... | --at ... | --off`` (also ``jobs schedule``)."""

from django.core.management.base import BaseCommand

from jobs.schedule_cli import schedule_arguments_add, schedule_command


class Command(BaseCommand):
    help = "Set, change or remove a job's schedule; without an option, show it and its next five due times."

    def add_arguments(self, parser):
        schedule_arguments_add(parser)

    def handle(self, *args, **options):
        for line in schedule_command(**options):
            self.stdout.write(line)
