"""``{% load exports %}{% run_export_files run %}``: the run page's list of export files."""

from django import template

from exports.links import export_files_for_run

register = template.Library()


@register.inclusion_tag("exports/run_export_files.html", takes_context=True)
def run_export_files(context, run):
    request = context.get("request")
    return {"export_files": export_files_for_run(run, getattr(request, "user", None))}
