"""Django forms generated from a job type's marshmallow schema.

Every schema field becomes a form field of the matching kind (a select for ``OneOf``,
one line per item for a list of strings, a JSON text area for dicts and anything else
without a widget of its own). The form only turns what was typed into plain JSON
values; the schema stays the one validator, and its messages are put back on the
fields they belong to.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from marshmallow import fields as mf
from marshmallow import missing
from marshmallow import validate as mv

from jobs.arguments import ArgumentsJSONDecoder, default_args_clean, run_arguments_build, to_json_safe
from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable, format_messages
from jobs.models import Job, Run
from jobs.registry import registry

ARG_PREFIX = "arg__"


class JSONArea(forms.Textarea):
    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, "cols": 60, "class": "vLargeTextField jobs-json", **(attrs or {})})


class StringListField(forms.CharField):
    """A list of strings, one per line."""

    widget = forms.Textarea

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "One per line.")
        super().__init__(strip=False, **kwargs)
        self.widget.attrs.update({"rows": 4, "cols": 60, "class": "vLargeTextField"})

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return [line.strip() for line in str(value).splitlines() if line.strip()]


class AnyJSONField(forms.JSONField):
    """Any JSON value; an empty box means "not given"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", JSONArea)
        kwargs.setdefault("decoder", ArgumentsJSONDecoder)  # too deep or too long: a form error
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        return json.dumps(value, indent=2, ensure_ascii=False)


def _one_of(field: mf.Field):
    for validator in field.validators:
        if isinstance(validator, mv.OneOf):
            return validator
    return None


def _range(field: mf.Field):
    for validator in field.validators:
        if isinstance(validator, mv.Range):
            return validator
    return None


def _default(field: mf.Field):
    value = field.load_default
    if value is missing or value is None:
        return None
    return value() if callable(value) else value


def form_field(name: str, field: mf.Field, *, required: bool) -> forms.Field:
    """Return the Django form field that edits one marshmallow field."""
    metadata = field.metadata or {}
    common = {
        "required": required,
        "label": metadata.get("label") or metadata.get("title") or name.replace("_", " ").capitalize(),
        # Job types spell it "help" (the built-in ones), "description" or "help_text".
        "help_text": metadata.get("help") or metadata.get("description") or metadata.get("help_text") or "",
    }
    one_of = _one_of(field)
    if one_of is not None:
        labels = list(one_of.labels) if one_of.labels else [str(c) for c in one_of.choices]
        choices = [(to_json_safe(c), label) for c, label in zip(one_of.choices, labels, strict=False)]
        if not required:
            choices = [("", "---------"), *choices]
        return forms.TypedChoiceField(choices=choices, coerce=_choice_coercer(one_of.choices), empty_value=None, **common)
    rng = _range(field)
    bounds = {}
    if rng is not None:
        if rng.min is not None:
            bounds["min_value"] = rng.min
        if rng.max is not None:
            bounds["max_value"] = rng.max
    # Order matters: Email and URL are Strings, AwareDateTime is a DateTime.
    if isinstance(field, mf.Email):
        return forms.EmailField(**common)
    if isinstance(field, mf.URL):
        return forms.CharField(widget=forms.URLInput(attrs={"class": "vURLField"}), **common)
    if isinstance(field, mf.Boolean):
        return forms.BooleanField(**{**common, "required": False})
    if isinstance(field, mf.Integer):
        return forms.IntegerField(**common, **bounds)
    if isinstance(field, mf.Decimal):
        places = field.places  # marshmallow keeps it as a quantum, e.g. Decimal("0.01")
        if places is not None and not isinstance(places, int):
            places = -places.as_tuple().exponent
        return forms.DecimalField(decimal_places=places, **common, **bounds)
    if isinstance(field, mf.Float):
        return forms.FloatField(**common, **bounds)
    if isinstance(field, mf.DateTime):
        hint = "ISO 8601, e.g. 2024-01-31T12:00:00+00:00"
        common["help_text"] = f"{common['help_text']} {hint}".strip()
        return forms.DateTimeField(widget=forms.TextInput(attrs={"class": "vDateTimeField", "size": 30}), **common)
    if isinstance(field, mf.Date):
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if isinstance(field, mf.String):
        return forms.CharField(widget=forms.TextInput(attrs={"class": "vTextField"}), **common)
    if isinstance(field, mf.List) and isinstance(field.inner, mf.String) and _one_of(field.inner) is None:
        return StringListField(**common)
    return AnyJSONField(**common)


def _choice_coercer(choices):
    by_text = {str(to_json_safe(c)): c for c in choices}

    def coerce(value):
        return by_text.get(str(value), value)

    return coerce


def schema_fields(task_type: str) -> dict[str, mf.Field]:
    registered = registry.get(task_type)
    if registered is None:
        return {}
    return dict(registered.schema().load_fields)


class ArgumentsMixin:
    """Form helpers for the ``arg__<name>`` fields generated from a schema."""

    argument_names: tuple[str, ...] = ()

    def argument_field_names(self):
        return [ARG_PREFIX + name for name in self.argument_names]

    def arguments(self) -> dict:
        """The typed values as JSON, leaving out empty fields (so schema defaults apply)."""
        data = {}
        for name in self.argument_names:
            value = self.cleaned_data.get(ARG_PREFIX + name)
            if value is None or value == "":
                continue
            data[name] = to_json_safe(value)
        return data

    def add_schema_errors(self, messages, *, fallback: str | None = None):
        """Put marshmallow's messages on their fields (or on ``fallback`` / the form)."""
        if not isinstance(messages, dict):
            messages = {"_schema": messages}
        for key, value in messages.items():
            text = format_messages(value)
            field = ARG_PREFIX + str(key)
            if field in self.errors:
                continue  # the form field already said what is wrong
            if fallback is None and field in self.fields:
                self.add_error(field, text)
            elif fallback is not None and fallback in self.fields:
                self.add_error(fallback, f"{key}: {text}" if key != "_schema" else text)
            else:
                self.add_error(None, f"{key}: {text}" if key != "_schema" else text)


def add_argument_fields(form_fields: dict, task_type: str, *, required: bool, initial: dict | None = None):
    """Add one ``arg__<name>`` field per schema field to ``form_fields``; return the names."""
    initial = initial or {}
    names = []
    for name, field in schema_fields(task_type).items():
        form_f = form_field(name, field, required=required and field.required)
        value = initial[name] if name in initial else _default(field)
        if value is not None:
            form_f.initial = value
        form_fields[ARG_PREFIX + name] = form_f
        names.append(name)
    return tuple(names)


# --- the job form ---------------------------------------------------------------------


class JobForm(ArgumentsMixin, forms.ModelForm):
    """A job's settings plus its default arguments; the defaults go through the schema."""

    notify_on = forms.MultipleChoiceField(
        choices=Run.Status.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Run statuses that send an e-mail.",
    )
    task_type_id: str | None = None
    default_args: dict | None = None

    class Meta:
        model = Job
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.task_type_id is None or registry.get(self.task_type_id) is None:
            return cleaned

        try:
            self.default_args = default_args_clean(task_type=self.task_type_id, data=self.arguments())
        except ArgumentsInvalid as exc:
            self.add_schema_errors(exc.messages)
        return cleaned


def job_form_class(task_type: str | None, *, adding: bool, initial_args: dict | None = None) -> type[JobForm]:
    """A ``JobForm`` subclass with the default-argument fields of ``task_type``.

    On the add page the type is a select (the page reloads on change); on the change
    page it is read-only, so the form has no such field.
    """
    attrs: dict = {"argument_names": (), "task_type_id": task_type}
    attrs["argument_names"] = add_argument_fields(attrs, task_type, required=True, initial=initial_args)
    if adding:
        attrs["task_type"] = forms.ChoiceField(
            choices=[("", "---------"), *registry.choices()], label="Job type",
            help_text="Changing the type reloads the page with that type's arguments.",
            widget=forms.Select(attrs={"class": "jobs-type-select"}),
        )
    return type("JobForm", (JobForm,), attrs)


# --- the run-now form -----------------------------------------------------------------


class RunNowForm(ArgumentsMixin, forms.Form):
    """Arguments of one run: prefilled with the job's defaults, or raw JSON that replaces them."""

    override = AnyJSONField(
        required=False, label="Arguments as JSON",
        help_text="Advanced: a JSON object that replaces the values above (checked by the same schema).",
    )
    job: Job

    def clean_override(self):
        value = self.cleaned_data.get("override")
        if value is not None and not isinstance(value, dict):
            raise DjangoValidationError("Enter a JSON object, e.g. {\"message\": \"hi\"}.")
        return value

    def run_arguments(self) -> dict:
        """What the run is asked for: the JSON override when given, else the fields."""
        override = self.cleaned_data.get("override")
        return override if override is not None else self.arguments()

    def build(self) -> dict | None:
        """Return the task arguments ``run_arguments_build`` computes, or None with errors added."""

        using_override = self.cleaned_data.get("override") is not None
        try:
            return run_arguments_build(job=self.job, args=self.run_arguments())
        except ArgumentsInvalid as exc:
            self.add_schema_errors(exc.messages, fallback="override" if using_override else None)
        except JobTypeUnavailable as exc:
            self.add_error(None, str(exc))
        return None


def run_now_form_class(job: Job) -> type[RunNowForm]:
    attrs: dict = {}
    names = add_argument_fields(attrs, job.task_type, required=False, initial=job.default_args or {})
    order = [ARG_PREFIX + name for name in names] + ["override"]
    return type("RunNowForm", (RunNowForm,), {**attrs, "argument_names": names, "job": job, "field_order": order})
