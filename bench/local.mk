# bench/local.mk: the benchmarks. Built with `make bench` (or by `make
# check`, whose smoke run bench/test_smoke.py runs them at tiny sizes and
# checks only that they run and print figures in the expected format: no
# speed is asserted). See bench/README.md for the real runs.
check_PROGRAMS += bench/palaver-bench bench/null-component
bench_palaver_bench_SOURCES = bench/palaver-bench.c
bench_null_component_SOURCES = bench/null-component.c
bench_null_component_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
bench_null_component_LDADD = $(CRYPTO_LIBS)
TESTS += bench/test_smoke.py
EXTRA_DIST += bench/README.md bench/e2e-prosody.py bench/e2e-ejabberd.py bench/e2e_common.py \
	bench/cluster-failover.py \
	bench/make-sqlite-rooms.sh bench/run.sh bench/plot.sh bench/test_smoke.py \
	bench/fanout.png bench/fanout-ejabberd.png bench/palaver-bench.png

bench: bench/palaver-bench bench/null-component
.PHONY: bench
