#!/usr/bin/env bash
# The benchmark of issue 6 (web ratio and PDF ratio), in one run on this machine: see bench/README.md.
# Needs PostgreSQL and Redis on loopback (as .ci/run starts them) and wrk (installed here when missing and root);
# options: bench/run.sh --help. Prints a table and writes bench/out/<date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || true
fi
command -v wrk >/dev/null || echo "wrk absent: the bench falls back to its Python client (weaker; ratios only)." >&2
# WeasyPrint subsets fonts with HarfBuzz when the library is there, as in production (Dockerfile, .ci/run): without
# it renders take about twice as long, and the PDF ratio would not be production's.
if ! ldconfig -p | grep -q libharfbuzz-subset.so.0 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 || true
fi
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m bench.run "$@"
