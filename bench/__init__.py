"""The benchmark (issue 6): `bench/run.sh`, see bench/README.md."""
