"""Benchmark the vocabulary imports: ROR zip, ORCID summaries tar.gz, OpenAIRE project.tar.

Dumps are generated at scale from the real samples in tests/data (varied ids and names)
and imported into their own PostgreSQL database (default jobsite_bench_vocab). Every phase
runs in a child process so its peak RSS (VmHWM) is its own:

    ijson     (ROR) plain ijson yajl2_c pass over the JSON member, for reference
    parse     reader only (the same file, same run)
    rows      reader + mapping + content hash (everything but the database)
    first     first import into empty tables
    again     re-import of the same file (every record unchanged)

The imports read, map and hash in forked processes (VOCABULARIES_FORK; ROR: several that
parse their shares of the dump, VOCABULARIES_PARSERS, --parsers): "cpu" counts them too,
and the largest one's peak RSS is printed after the importing process's own.

    .venv/bin/python bench/vocabularies_import.py ror --records 120000
    .venv/bin/python bench/vocabularies_import.py all --scale 0.1

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (importable once ROOT is on sys.path)

DATA = ROOT / "tests" / "data"
DEFAULT_DB = "jobsite_bench_vocab"
DEFAULT_RECORDS = {"ror": 120_000, "orcid": 100_000, "openaire": 200_000}
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_id(i: int) -> str:
    chars = []
    for _ in range(8):
        i, r = divmod(i, 32)
        chars.append(ALPHABET[r])
    return "0" + "".join(reversed(chars))


# --- generators --------------------------------------------------------------------

def generate_ror(path: Path, records: int):
    samples = [json.loads(p.read_text()) for p in sorted((DATA / "ror/records_v2/v2.9").glob("*.json"))]
    small = [s for s in samples if len(json.dumps(s)) < 8000]
    large = [s for s in samples if len(json.dumps(s)) >= 8000]
    release = "v2.9-2026-06-23"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(f"{release}-ror-data.json", "w", force_zip64=True) as out:
            out.write(b"[\n")
            for i in range(records):
                base = large[i // 100 % len(large)] if i % 100 == 99 else small[i % len(small)]
                record = json.loads(json.dumps(base))
                record["id"] = f"https://ror.org/{ror_id(i)}"
                for name in record["names"]:
                    name["value"] = f"{name['value']} {i}"
                record["admin"]["last_modified"]["date"] = f"20{10 + i % 16}-0{1 + i % 9}-1{i % 10}"
                text = json.dumps(record, indent=4, ensure_ascii=False)
                out.write(("    " + text.replace("\n", "\n    ")).encode())
                out.write(b",\n" if i < records - 1 else b"\n")
            out.write(b"]\n")


def orcid_template(target_bytes: int = 26_000) -> bytes:
    """The real record with its work summaries trimmed to about the average size of a
    Public Data File summary (2024: ~650 GB for ~25 M records, ~26 KB each)."""
    from lxml import etree

    real = (DATA / "orcid/samples/orcid-conversion-lib/test-conversionlib-record-3.0.xml").read_bytes()
    root = etree.fromstring(real)
    works = root.find(".//{http://www.orcid.org/ns/activities}works")
    groups = list(works) if works is not None else []
    while groups and len(etree.tostring(root)) > target_bytes:
        works.remove(groups.pop())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def generate_orcid(path: Path, records: int):
    template = orcid_template()
    real_id = b"0000-0003-0902-4386"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for i in range(records):
            orcid = f"0000-000{i % 10}-{i // 10000 % 10000:04d}-{i % 10000:04d}"
            xml = template.replace(real_id, orcid.encode()).replace(b"Demeranville", f"Demeranville{i}".encode())
            info = tarfile.TarInfo(f"ORCID_2024_10_summaries/{orcid[-3:]}/{orcid}.xml")
            info.size = len(xml)
            archive.addfile(info, io.BytesIO(xml))


def generate_openaire(path: Path, records: int):
    sys.path.insert(0, str(ROOT))
    from tests.vocabularies.openaire_fixtures import V7_H2020, V8_NSF, V9_FWF

    bases = [V7_H2020, V8_NSF, V9_FWF]
    per_part = 50_000
    with tarfile.open(path, "w") as archive:
        for part, start in enumerate(range(0, records, per_part)):
            lines = []
            for i in range(start, min(records, start + per_part)):
                record = dict(bases[i % 3])
                prefix = record["id"].split("::")[0]
                record["id"] = f"{prefix}::{i:032x}"
                record["code"] = f"{record['code']}-{i}"
                record["title"] = f"{record['title']} {i}"
                lines.append(json.dumps(record).encode())
            body = gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1)
            info = tarfile.TarInfo(f"project/part-{part:05d}-bench.json.gz")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))


KINDS = {
    "ror": ("ror.zip", generate_ror),
    "orcid": ("orcid_summaries.tar.gz", generate_orcid),
    "openaire": ("project.tar", generate_openaire),
}


# --- child process: one phase ------------------------------------------------------

def vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(kind: str, phase: str, path: str) -> dict:
    import django
    from django.conf import settings

    django.setup()
    settings.VOCABULARIES_IMPORT_DIR = str(Path(path).parent)
    settings.VOCABULARIES_FORK = os.environ.get("BENCH_VOCABULARIES_FORK", "1") == "1"
    if os.environ.get("BENCH_VOCABULARIES_PARSERS"):
        settings.VOCABULARIES_PARSERS = int(os.environ["BENCH_VOCABULARIES_PARSERS"])
    from jobs.gcrelax import relaxed_gc
    from jobs.runs import context
    from vocabularies import targets
    from vocabularies.importing import row_hash, vocabulary_import
    from vocabularies.readers import openaire, orcid, ror

    reader, mapper, target = {
        "ror": (ror.ror_records, ror.affiliation_row, targets.AFFILIATIONS),
        "orcid": (orcid.orcid_records, orcid.name_row, targets.NAMES),
        "openaire": (openaire.openaire_projects, openaire.award_row, targets.AWARDS),
    }[kind]
    handle = context.RunHandle(None)
    context.activate(handle)
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    count = 0
    if phase == "parse":
        with relaxed_gc():  # the same GC setting as the import pipeline
            for _ in reader(Path(path)):
                count += 1
    elif phase == "ijson":  # reference: a plain ijson (yajl2_c) pass over the same JSON member
        import zipfile

        import ijson

        with relaxed_gc(), zipfile.ZipFile(path) as zf, zf.open(zf.namelist()[0]) as member:
            for _ in ijson.get_backend("yajl2_c").items(member, "item", use_float=True):
                count += 1
    elif phase == "rows":
        with relaxed_gc():
            for item in reader(Path(path)):
                row = mapper(item)
                row["content_hash"] = row_hash(row)
                count += 1
    else:
        # As the job types do: OpenAIRE projects are imported in one process (vocabularies/jobs.py).
        shards = (lambda index, count: reader(Path(path), shard=(index, count))) if kind == "ror" else None
        vocabulary_import(target=target, records=reader(Path(path)), mapper=mapper, fork=kind != "openaire", shards=shards)
        count = sum(handle.counters.get(k, 0) for k in ("created", "updated", "unchanged", "errored"))
    elapsed = time.perf_counter() - started
    forked_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"records": count, "seconds": elapsed, "rate": count / elapsed, "rss_mb": vmhwm_mb(),
            "forked_rss_mb": forked_rss, "cpu": cpu_seconds() - cpu_before, "counters": dict(handle.counters)}


def cpu_seconds() -> float:
    """CPU of this process and of its reaped children (the forked parsing process of an import)."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def run_child(kind, phase, path, env) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "_child", kind, phase, str(path)], env=env, cwd=ROOT,
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind}/{phase} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- parent ------------------------------------------------------------------------

def truncate(kind: str, db: str):
    import psycopg2

    table = {"ror": "vocabularies_affiliation", "orcid": "vocabularies_name", "openaire": "vocabularies_award"}[kind]
    conn = psycopg2.connect(dbname=db, **common.PG)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"TRUNCATE {table}")
        cur.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def bench(kind: str, records: int, workdir: Path, db: str, env: dict, phases: list[str]):
    name, generate = KINDS[kind]
    path = workdir / f"{records}-{name}"
    if not path.exists():
        started = time.perf_counter()
        generate(path, records)
        print(f"[{kind}] generated {path.name}: {records} records, {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
    if kind == "ror":
        with zipfile.ZipFile(path) as zf:
            info = zf.infolist()[0]
            print(f"[{kind}] {info.filename}: {info.file_size / 1e6:.1f} MB of JSON "
                  f"({info.file_size / records:.0f} bytes/record)", flush=True)
    truncate(kind, db)
    results = {}
    for phase in phases or (["ijson"] if kind == "ror" else []) + ["parse", "rows", "first", "again"]:
        result = run_child(kind, phase, path, env)
        results[phase] = result
        extra = f" counters={result['counters']}" if phase in ("first", "again") else ""
        if result.get("forked_rss_mb"):
            extra = f" (forked parser {result['forked_rss_mb']:.1f} MB)" + extra
        print(f"[{kind}] {phase:<6} {result['records']:>8} records {result['seconds']:7.2f} s "
              f"{result['rate']:9.0f} records/s  (cpu {result['cpu']:6.2f} s)  peak RSS {result['rss_mb']:6.1f} MB{extra}",
              flush=True)
    if not {"parse", "first", "again"} <= set(results):
        return results
    parse = results["parse"]["rate"]
    print(f"[{kind}] first import = {results['first']['rate'] / parse:.0%} of parse-only, "
          f"unchanged re-import = {results['again']['rate'] / parse:.0%} of parse-only "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    return results


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(*sys.argv[2:5])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["ror", "orcid", "openaire", "all"])
    parser.add_argument("--records", type=int, help="records per dump (default: the issue's sizes)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default sizes")
    parser.add_argument("--size", type=int, help="alias of --records")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--no-fork", action="store_true", help="import in one process (VOCABULARIES_FORK=False)")
    parser.add_argument("--parsers", type=int, help="VOCABULARIES_PARSERS: processes parsing a ROR dump together")
    parser.add_argument("--phases", default="", help="comma-separated subset of the phases, e.g. first,again")
    parser.add_argument("--workdir", default=str(ROOT / "var" / "bench-vocabularies"))
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONPATH=str(ROOT),
               DATABASE_URL=common.database_url(args.db), JOBSITE_LOG_LEVEL="WARNING",
               BENCH_VOCABULARIES_FORK="0" if args.no_fork else "1", BENCH_VOCABULARIES_PARSERS=str(args.parsers or ""))
    common.database_create(args.db)
    common.database_migrate(env)
    for kind in (["ror", "openaire", "orcid"] if args.kind == "all" else [args.kind]):
        records = args.records or args.size or int(DEFAULT_RECORDS[kind] * args.scale)
        bench(kind, records, workdir, args.db, env, [p for p in args.phases.split(",") if p])


if __name__ == "__main__":
    main()
