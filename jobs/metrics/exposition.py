"""Prometheus' text format for ``/metrics``: prometheus_client's, written faster for the per-job families.

A scrape at 1,000 jobs has some 27,000 samples, nearly all in families whose every sample
carries one job's labels (``job``, ``job_id``, ``type``). ``generate_latest`` escapes and
checks every label of every sample; ``JobFamily`` keeps rows instead, escapes each job's
labels once, formats each distinct value once, and writes its lines itself.
``exposition`` uses that for ``JobFamily`` and ``generate_latest`` for every other family
(headers included). A ``JobFamily`` is still a prometheus_client ``Metric``: its
``samples`` are made on demand by the library family it wraps, so ``generate_latest``
renders it too, and ``tests/jobs/metrics/test_exposition.py`` checks both give the same bytes.
"""

from __future__ import annotations

from itertools import chain, groupby

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

JOB_LABELS = ("job", "job_id", "type")
_TYPES = {"counter": "_total", "gauge": ""}  # sample name suffix per plain type (histograms apart)


def _escape(value: str) -> str:
    """A label value as the text format writes it (the library's escaping of backslash, newline, quote)."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


# Each way a family places the job labels among its labels (a pattern: runs of job label names, ``None`` for
# a run of other labels), numbered: a job's labels are joined once per pattern, found by its number.
_PATTERNS: dict[tuple, int] = {}


class JobLabels:
    """A job's label values, escaped once per scrape, and joined once per pattern (see ``_Layout``)."""

    __slots__ = ("values", "_parts", "_joined")

    def __init__(self, title: str, job_id, task_type: str):
        self.values = (title, str(job_id), task_type)
        self._parts = {name: f'{name}="{_escape(value)}"' for name, value in zip(JOB_LABELS, self.values, strict=True)}
        self._joined: dict[int, tuple[str, ...]] = {}

    def joined(self, layout: _Layout) -> tuple[str, ...]:
        """``name="value",...`` of each run of job labels in the layout's pattern; with one run of other labels
        between or beside them, the job's labels before it (comma included) and after it (likewise)."""
        if layout.number not in self._joined:
            runs = [",".join(self._parts[n] for n in run) if run is not None else None for run in layout.pattern]
            if len(layout.others) == 1:
                at = runs.index(None)
                before, after = ",".join(runs[:at]), ",".join(runs[at + 1 :])
                runs = [before + "," if before else "", "," + after if after else ""]
            self._joined[layout.number] = tuple(run for run in runs if run is not None)
        return self._joined[layout.number]


class _Layout:
    """Some of a family's labels sorted by name (the text format's order), in runs of job labels and other labels.

    A run of job labels is joined once per job and pattern (``JobLabels.joined``, shared
    by the families), a run of the others (``extra``, their values given per row) once per
    distinct value.
    """

    def __init__(self, extra: tuple[str, ...], names):
        self.extra = extra
        runs = [(is_job, tuple(run)) for is_job, run in groupby(sorted(names), key=JOB_LABELS.__contains__)]
        self.pattern = tuple(run if is_job else None for is_job, run in runs)
        self.number = _PATTERNS.setdefault(self.pattern, len(_PATTERNS))
        self.others = [run for is_job, run in runs if not is_job]
        self._chunks: dict[tuple, str] = {}

    def _chunk(self, names: tuple[str, ...], values: tuple) -> str:
        key = (names, values)
        if key not in self._chunks:
            given = dict(zip(self.extra, values, strict=True))
            self._chunks[key] = ",".join(f'{name}="{_escape(given[name])}"' for name in names)
        return self._chunks[key]

    def text(self, job: JobLabels, values: tuple) -> str:
        """``name="value",...`` for these labels of ``job`` and the row's ``values`` of ``extra``."""
        joined = job.joined(self)
        if not self.others:
            return joined[0]
        if len(self.others) == 1:
            return joined[0] + self._chunk(self.others[0], values) + joined[1]
        job_runs, others = iter(joined), iter(self.others)
        return ",".join(next(job_runs) if run is not None else self._chunk(next(others), values) for run in self.pattern)


class _Values(dict):
    """Each distinct value formatted once (``floatToGoString``, the library's number format)."""

    def __missing__(self, value):
        text = self[value] = floatToGoString(value)
        return text


class JobFamily(Metric):
    """A counter, gauge or histogram family (``family``, empty) whose samples each carry a job's labels.

    ``family`` is a prometheus_client family created with ``labels=[*JOB_LABELS, *extra]``.
    ``add(job, extra_values, *value)`` takes what the family's ``add_metric`` takes after
    its label values (a value; buckets and a sum).
    """

    def __init__(self, family: Metric, extra: tuple[str, ...] = ()):
        if family.type not in (*_TYPES, "histogram") or family.samples:
            raise ValueError(f"{family.name}: an empty counter, gauge or histogram family is needed")
        self.name, self.documentation, self.type, self.unit = family.name, family.documentation, family.type, family.unit
        self._family = family
        names = [*JOB_LABELS, *extra]
        self._layout = _Layout(tuple(extra), names)
        # A bucket's labels: those before ``le`` and those after it.
        self._before_le = _Layout(tuple(extra), [name for name in names if name < "le"])
        self._after_le = _Layout(tuple(extra), [name for name in names if name > "le"])
        # Flat (job, extra values, value) triples: no container per row for the garbage collector to track.
        self._rows: list = []

    def add(self, job: JobLabels, extra_values: tuple, *value) -> None:
        """A sample (histogram: its samples) of ``job``: what the family's ``add_metric`` takes after the job's labels."""
        self._rows.extend((job, extra_values, value if self.type == "histogram" else value[0]))

    def extend(self, rows) -> None:
        """Many ``add``: ``(job, extra_values, value)`` each (a histogram's value: ``(buckets, sum)``)."""
        self._rows.extend(chain.from_iterable(rows))

    def _triples(self):
        rows = iter(self._rows)
        return zip(rows, rows, rows, strict=True)

    @property
    def samples(self):
        """The library's samples for these rows (made once, on first use)."""
        if len(self._family.samples) == 0:
            for job, extra_values, value in self._triples():
                given = value if self.type == "histogram" else (value,)
                self._family.add_metric([*job.values, *extra_values], *given)
        return self._family.samples

    def lines(self, values: _Values) -> list[str]:
        """The sample lines, as ``generate_latest`` writes them."""
        labels = self._layout.text
        if self.type != "histogram":
            name = self.name + _TYPES[self.type]
            return [f"{name}{{{labels(job, extra)}}} {values[value]}\n" for job, extra, value in self._triples()]
        lines = []
        bounds: dict[str, str] = {}
        for job, extra, (buckets, total) in self._triples():
            before, after = self._before_le.text(job, extra), self._after_le.text(job, extra)
            before, after = (before + "," if before else ""), ("," + after if after else "")
            for bound, count in buckets:
                if bound not in bounds:
                    bounds[bound] = _escape(bound)
                lines.append(f'{self.name}_bucket{{{before}le="{bounds[bound]}"{after}}} {values[count]}\n')
            if float(buckets[0][0]) >= 0 and total is not None:
                both = labels(job, extra)
                lines.append(f"{self.name}_count{{{both}}} {values[buckets[-1][1]]}\n")
                lines.append(f"{self.name}_sum{{{both}}} {values[total]}\n")
        return lines


class _Families:
    """A collector over given families (for ``generate_latest``)."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def exposition(registry) -> bytes:
    """``generate_latest(registry)``, with ``JobFamily`` families written by their own ``lines``."""
    values = _Values()
    out = []
    for family in registry.collect():
        if isinstance(family, JobFamily):
            header = Metric(family.name, family.documentation, family.type, family.unit)
            out.append(generate_latest(_Families([header])).decode())
            out.extend(family.lines(values))
        else:
            out.append(generate_latest(_Families([family])).decode())
    return "".join(out).encode()
