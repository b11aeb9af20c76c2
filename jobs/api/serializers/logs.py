"""Log lines and the query parameters of a log page."""

from __future__ import annotations

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.logs.selectors import LOG_PAGE_SIZE

LEVEL_NAMES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


@extend_schema_field(OpenApiTypes.STR)
class LevelField(serializers.Field):
    """A log level as a name (``warning``) or a number (``30``)."""

    default_error_messages = {"invalid": "Give a level name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or a number."}

    def to_internal_value(self, data):
        text = str(data).strip().upper()
        if text.isdigit():
            return int(text)
        if text in LEVEL_NAMES:
            return LEVEL_NAMES[text]
        self.fail("invalid")

    def to_representation(self, value):
        return logging.getLevelName(value)


class LogLineSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    time = serializers.DateTimeField(source="created_at")
    level = serializers.SerializerMethodField()
    levelno = serializers.IntegerField(source="level")
    logger = serializers.CharField()
    message = serializers.CharField()

    def get_level(self, line) -> str:
        return logging.getLevelName(line.level)


class LogQuerySerializer(serializers.Serializer):
    """One page: after ``after``, before ``before``, or the last page; filtered by level and text."""

    after = serializers.IntegerField(required=False, min_value=-1, max_value=2**31 - 1)
    before = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    last = serializers.BooleanField(required=False, default=False)
    level = LevelField(required=False, help_text="Lowest level: DEBUG, INFO, WARNING, ERROR or a number.")
    q = serializers.CharField(required=False, max_length=200, help_text="Text the line contains (any case).")
    size = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=LOG_PAGE_SIZE)


class LogPageSerializer(serializers.Serializer):
    lines = LogLineSerializer(many=True)
    has_older = serializers.BooleanField()
    has_newer = serializers.BooleanField()
    first_seq = serializers.IntegerField(allow_null=True)
    last_seq = serializers.IntegerField(allow_null=True)
