"""The scale bench's databases (issue 16): reuse `scale_10k` / `scale_1m` when the current loader filled them with
the expected volume (the stamp `portal.volume.stamp` on the database), else drop, create, migrate and load them with
`manage.py load_volume` (about 1 min for 10 k, 25 min for 1 M on this machine).

Also runnable alone, to load ahead of a bench run:
    .venv/bin/python -m bench.volume_db scale_1m 1000000
    .venv/bin/python -m bench.volume_db scale_10k 10000 --certs 50 --busiest 0.75   # as the bench loads 10 k
"""

import argparse
import os
import subprocess
import sys
import time

from bench.processes import BASE_DIR

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def log(message):
    print(f"[volume {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _connect(postgres, database):
    import psycopg2

    connection = psycopg2.connect(f"{postgres.rstrip('/')}/{database}")
    connection.autocommit = True
    return connection


def current_stamp(postgres, database):
    """Return the loader's stamp on `database`, "" when it carries none, None when the database does not exist."""
    connection = _connect(postgres, "postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [database]
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    return None if row is None else (row[0] or "")


def recreate(postgres, database):
    connection = _connect(postgres, "postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        connection.close()


def loader_env(postgres, database):
    env = dict(os.environ)
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings.base",
                "DATABASE_URL": f"{postgres.rstrip('/')}/{database}",
                "PYTHONPATH": str(BASE_DIR)})
    return env


def ensure_loaded(database, files, *, certs=None, busiest=0.0, postgres=POSTGRES, reload=False):
    """Make `database` hold the volume `load_volume --files files` writes today; return whether it was loaded."""
    from portal.volume_plan import Plan, stamp

    wanted = stamp(Plan.for_files(files, certs, busiest))
    found = current_stamp(postgres, database)
    if found == wanted and not reload:
        log(f"{database}: reused ({found})")
        return False
    log(f"{database}: {'absent' if found is None else repr(found or 'no stamp')}, wanted {wanted!r}: "
        f"drop, create, migrate, load_volume --files {files} (1 M: about 25 min)")
    recreate(postgres, database)
    env = loader_env(postgres, database)
    started = time.monotonic()
    for command in (["migrate", "--noinput"],
                    ["load_volume", "--files", str(files), *(["--certs", str(certs)] if certs else []),
                     *(["--busiest", f"{busiest:g}"] if busiest else [])]):
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env,
                                capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"Failed: manage.py {' '.join(command)} on {database}\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    log(f"{database}: loaded in {time.monotonic() - started:.0f} s")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("files", type=int)
    parser.add_argument("--certs", type=int, default=None)
    parser.add_argument("--busiest", type=float, default=0.0,
                        help="share of the files routed to the first CERT (bench/scale.py: 0.75 at 10 k)")
    parser.add_argument("--reload", action="store_true", help="load even when the stamp matches")
    args = parser.parse_args()
    ensure_loaded(args.database, args.files, certs=args.certs, busiest=args.busiest, reload=args.reload)


if __name__ == "__main__":
    main()
