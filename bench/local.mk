# bench/local.mk: the benchmarks. Built on request (`make bench`), never part
# of `make check`; see bench/README.md for how to run them.
EXTRA_PROGRAMS = bench/palaver-bench
bench_palaver_bench_SOURCES = bench/palaver-bench.c
CLEANFILES += bench/palaver-bench
EXTRA_DIST += bench/README.md bench/e2e-prosody.py bench/make-sqlite-rooms.sh bench/run.sh

bench: bench/palaver-bench
.PHONY: bench
