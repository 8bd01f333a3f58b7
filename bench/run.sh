#!/bin/sh
# bench/run.sh: runs the benchmark scenarios of bench/README.md from a build
# directory (after `make bench`) and prints their figures.
#   usage: cd BUILD && sh SRC/bench/run.sh [quick]
# `quick` runs every scenario at small sizes (a smoke test, seconds).
set -u
B=$(pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
export PALAVER_BIN="$B/palaver"
export PALAVER_MODULE_DIR="$B/plugins/muc-core:$B/backends/memory:$B/backends/sqlite:$B/plugins/history"
PB="$B/bench/palaver-bench"
[ -x "$PB" ] || { echo "run 'make bench' first" >&2; exit 1; }
if [ "${1:-}" = quick ]; then
    K=10; M=2000; BIG=100; SQLN=1000; E2E="-n 10 -m 500"
else
    K=1; M=100000; BIG=1000; SQLN=100000; E2E="-n 50 -m 4000 --rounds 2"
fi
run() { echo "== palaver-bench $*"; "$PB" "$@" || echo "FAILED: $*"; }
uptime
run -r 1 -n 10 -m "$M"
run -r 1 -n 100 -m $((M / 5))
run -r 1 -n "$BIG" -m $((M / 50)) -w 10                  # includes the join storm
run -r $((10000 / K)) -n 5 -m "$M"
run -r 1 -n 100 -m $((M / 5)) --history                  # with the history plugin
run -r $((10000 / K)) -n 1 -m 0                          # memory: per room (1 occupant)
run -r $((10000 / K)) -n 5 -m 0                          # memory: per extra occupant
db=$(mktemp /tmp/palaver-bench-db.XXXXXX)
sh "$S/bench/make-sqlite-rooms.sh" "$db" "$SQLN"
run --startup "$db" -r "$SQLN"                           # start-up with stored rooms
rm -f "$db" "$db-wal" "$db-shm"
echo "== e2e-prosody.py $E2E"
/usr/bin/python3 "$S/bench/e2e-prosody.py" $E2E
uptime
