"""Prometheus' text format for ``/metrics``: prometheus_client's, written faster for the per-job families.

A scrape at 1,000 jobs has some 27,000 samples, nearly all in families whose every sample
carries one job's labels (``job``, ``job_id``, ``type``). ``generate_latest`` escapes and
checks every label of every sample; ``JobFamily`` keeps rows instead and writes its lines
itself: each job's labels are escaped and joined once (``JobLabels``, kept by the process
while the job's title and type stay), each distinct value is formatted once.
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
    """A job's label values, escaped once, and joined once per pattern (see ``_Layout``)."""

    __slots__ = ("values", "_parts", "_joined")

    def __init__(self, title: str, job_id, task_type: str):
        self.values = (title, str(job_id), task_type)
        self._parts = {name: f'{name}="{_escape(value)}"' for name, value in zip(JOB_LABELS, self.values, strict=True)}
        self._joined: dict[int, tuple[str, ...]] = {}

    def joined(self, layout: _Layout) -> tuple[str, ...]:
        """``name="value",...`` of each run of job labels in the layout's pattern, in order; for a simple layout
        (``_Layout.simple``) the two around the other labels, their commas included."""
        found = self._joined.get(layout.number)
        if found is None:
            parts = self._parts
            if layout.simple:
                before, after = ",".join([parts[n] for n in layout.before]), ",".join([parts[n] for n in layout.after])
                found = (before + "," if before and layout.others else before, "," + after if after else "")
            else:
                found = tuple(",".join([parts[n] for n in run]) for run in layout.pattern if run is not None)
            self._joined[layout.number] = found
        return found


_known: dict[tuple, JobLabels] = {}


def job_labels(jobs) -> dict:
    """``{job_id: JobLabels}`` for ``(job_id, title, type)`` triples.

    A job whose title and type are those of the last scrape keeps its ``JobLabels`` (so
    its labels are escaped and joined once per process, not per scrape); the others are
    made anew, and the jobs that are gone or changed are forgotten.
    """
    global _known
    known = {key: _known.get(key) or JobLabels(key[1], key[0], key[2]) for key in jobs}
    _known = known
    return {key[0]: labels for key, labels in known.items()}


class _Layout:
    """A family's label names sorted (the text format's order), in runs of job labels and other labels (``extra``).

    A run of job labels is joined once per job and pattern (``JobLabels.joined``, shared
    by the families); the other labels once per distinct row values (``chunk``). In a
    simple layout (no other label, or one run of them: all but a family with other labels
    on both sides of a job label) a row's labels are the job's before, the chunk, the job's after.
    """

    def __init__(self, extra: tuple[str, ...]):
        self.extra = extra
        runs = [(is_job, tuple(run)) for is_job, run in groupby(sorted([*JOB_LABELS, *extra]), key=JOB_LABELS.__contains__)]
        self.pattern = tuple(run if is_job else None for is_job, run in runs)
        self.number = _PATTERNS.setdefault(self.pattern, len(_PATTERNS))
        self.others = [run for is_job, run in runs if not is_job]
        self.simple = len(self.others) <= 1
        if self.simple:  # the job labels before the other labels and after them
            at = self.pattern.index(None) if self.others else len(self.pattern)
            self.before = tuple(name for run in self.pattern[:at] for name in run)
            self.after = tuple(name for run in self.pattern[at + 1 :] for name in run)
        self.chunks: dict[tuple, str] = {}  # a simple layout's: row values -> its other labels

    def _other(self, names: tuple[str, ...], values: tuple) -> str:
        given = dict(zip(self.extra, values, strict=True))
        return ",".join(f'{name}="{_escape(given[name])}"' for name in names)

    def chunk(self, values: tuple) -> str:
        """A simple layout's other labels for a row's ``values`` (made once per distinct values)."""
        if values not in self.chunks:
            self.chunks[values] = self._other(self.others[0], values) if self.others else ""
        return self.chunks[values]

    def lines(self, name: str, rows, out: list[str]) -> None:
        """``name{labels} value`` of each ``(job, values, value)`` row (``value`` already text), added to ``out``."""
        if not self.simple:
            out.extend(f"{name}{{{self.text(job, values)}}} {value}\n" for job, values, value in rows)
            return
        previous, chunks = None, self.chunks
        for job, values, value in rows:
            if job is not previous:  # a family's rows come job by job
                previous, (before, after) = job, job.joined(self)
            chunk = chunks[values] if values in chunks else self.chunk(values)
            out.append(f"{name}{{{before}{chunk}{after}}} {value}\n")

    def text(self, job: JobLabels, values: tuple) -> str:
        """``name="value",...`` for the labels of ``job`` and a row's ``values`` of ``extra``."""
        if self.simple:
            before, after = job.joined(self)
            return before + self.chunk(values) + after
        job_runs, others = iter(job.joined(self)), iter(self.others)
        return ",".join(next(job_runs) if run is not None else self._other(next(others), values) for run in self.pattern)


class _Values(dict):
    """Each distinct value formatted once, as ``floatToGoString`` (the library's number format) writes it.

    Counts are ints: below a million (where Go's format turns to an exponent) that is the
    int and ".0", as ``repr(float(n))`` writes it, without the float's way round.
    """

    def __missing__(self, value):
        if type(value) is int and -(10**15) < value < 10**6:
            text = f"{value}.0"
        else:
            text = floatToGoString(value)
        self[value] = text
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
        self._layout = _Layout(tuple(extra))
        self._bucket_layout = _Layout((*extra, "le"))  # a histogram's buckets: one more label
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
        """The sample lines, as ``generate_latest`` writes them (``values``: the numbers written so far)."""
        out: list[str] = []
        if self.type != "histogram":
            rows = ((job, extra, values[value]) for job, extra, value in self._triples())
            self._layout.lines(self.name + _TYPES[self.type], rows, out)
            return out
        name, bucket = self.name, self._bucket_layout
        for job, extra, (buckets, total) in self._triples():
            if bucket.simple:
                before, after = job.joined(bucket)
                chunks = bucket.chunks
                for bound, count in buckets:
                    key = (*extra, bound)
                    chunk = chunks[key] if key in chunks else bucket.chunk(key)
                    out.append(f"{name}_bucket{{{before}{chunk}{after}}} {values[count]}\n")
            else:
                out.extend(f"{name}_bucket{{{bucket.text(job, (*extra, b))}}} {values[c]}\n" for b, c in buckets)
            if float(buckets[0][0]) >= 0 and total is not None:  # as the library: no sum below a negative bound
                labels = self._layout.text(job, extra)
                out.append(f"{name}_count{{{labels}}} {values[buckets[-1][1]]}\n")
                out.append(f"{name}_sum{{{labels}}} {values[total]}\n")
        return out


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
