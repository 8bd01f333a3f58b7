#!/bin/sh
# bench/run.sh: runs the benchmark scenarios of bench/README.md from a build
# directory (after `make bench`) and prints their figures.
#   usage: cd BUILD && sh SRC/bench/run.sh [quick|bench|plot|e2e|ejabberd|memory|lazy|store|cluster]
#   (none)    every scenario below
#   quick     every palaver-bench scenario at small sizes (a smoke run, seconds)
#   bench     palaver-bench alone: fan-out 10/100/1,000, multicast, 10,000
#             rooms x 5, the join storm, the history plugin
#   plot      the fan-out scenario for several room sizes, behind Prosody
#             (mod_muc, null component, Palaver) and with palaver-bench alone;
#             and behind ejabberd (mod_muc, null component, Palaver with
#             copies and with multicast); writes fanout.dat, palaver-bench.dat,
#             fanout-ejabberd.dat and draws fanout.png, palaver-bench.png and
#             fanout-ejabberd.png (bench/plot.sh) in the current directory
#   e2e       end to end behind Prosody, 50 occupants (bench/e2e-prosody.py)
#   ejabberd  end to end behind ejabberd 23.01 (bench/e2e-ejabberd.py)
#   memory    memory per room and occupant, and start-up from SQLite
#   lazy      rooms on demand: start-up with 1,000,000 SQLite rooms, the first
#             join to 10,000 of them, their hibernation (RSS before and after)
#   store     the default deployment: persistent rooms with logging on (every
#             message archived) on sqlite against the memory backend
#   cluster   several instances (bench/cluster-failover.py, PostgreSQL): 20
#             kill -9 failovers behind Prosody (lease 3 s and 2 s), fan-out
#             with 3 active instances behind ejabberd against 1; not in (none)
set -u
B=$(pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
export PALAVER_BIN="$B/palaver" PALAVER_BUILDDIR="$B"
export PALAVER_MODULE_DIR="$B/plugins/muc-core:$B/plugins/room-avatars:$B/plugins/room-notices:$B/plugins/room-tombstones:$B/plugins/voice-requests:$B/plugins/admin-commands:$B/plugins/registration-approval:$B/backends/memory:$B/backends/sqlite:$B/backends/spool:$B/backends/pgsql:$B/plugins/history"
[ "${1:-}" = cluster ] && PALAVER_MODULE_DIR="$PALAVER_MODULE_DIR:$B/backends/pgsql"
PB="$B/bench/palaver-bench"
[ -x "$PB" ] && [ -x "$B/bench/null-component" ] || { echo "run 'make bench' first" >&2; exit 1; }
mode=${1:-all}
if [ "$mode" = quick ]; then
    K=10; M=2000; BIG=100; SQLN=1000; LAZYN=1000; E2E="-n 10 -m 500"
else
    K=1; M=100000; BIG=1000; SQLN=100000; LAZYN=1000000; E2E="-n 50 -m 4000 --rounds 2"
fi
run() { echo "== palaver-bench $*"; "$PB" "$@" || echo "FAILED: $*"; }

memory() {
    run -r $((10000 / K)) -n 1 -m 0                          # memory: per room (1 occupant)
    run -r $((10000 / K)) -n 5 -m 0                          # memory: per extra occupant
    run -r 10 -n $((1000 / K)) -m 0 -W 500                   # memory: occupants in big rooms
    db=$(mktemp /tmp/palaver-bench-db.XXXXXX)
    sh "$S/bench/make-sqlite-rooms.sh" "$db" "$SQLN"
    run --startup "$db" -r "$SQLN"                           # start-up with stored rooms
    rm -f "$db" "$db-wal" "$db-shm"
}

# rooms on demand: the file is 1.5 GB for 1,000,000 rooms (~30 s to write)
lazy() {
    db=$(mktemp /tmp/palaver-bench-db.XXXXXX)
    sh "$S/bench/make-sqlite-rooms.sh" "$db" "$LAZYN"
    run --startup "$db" -r "$LAZYN"                          # start-up: no room loaded
    run --first-join "$db" -r $((10000 / K)) --stored "$LAZYN" --idle 30  # first joins, hibernation
    rm -f "$db" "$db-wal" "$db-shm"
}

# the default deployment (issue 17): archived messages, sqlite against memory
store() {
    for be in memory sqlite; do
        run -r 100 -n 10 -m $((M / 2)) -w 50 --history --persistent --backend $be
    done
    # latency at about half the sqlite rate measured (7,000 messages/s)
    run -r 100 -n 10 -m $((M / 2)) -w 50 --rate $((M * 7 / 100)) --history --persistent \
        --backend sqlite
}

# palaver-bench alone: fan-out, many rooms, join storm, history, multicast
scenarios() {
    run -r 1 -n 10 -m "$M"
    run -r 1 -n 100 -m $((M / 5))
    run -r 1 -n 100 -m $((M / 5)) --rate $((M / 40))          # latency at 250,000 deliveries/s
    run -r 1 -n 100 -m $((M / 5)) --multicast 1000           # XEP-0033: one stanza per message
    run -r 1 -n "$BIG" -m $((M / 50)) -w 10                  # includes the join storm
    run -r 1 -n "$BIG" -m $((M / 50)) -w 10 --multicast 1000
    run -r $((10000 / K)) -n 5 -m "$M"
    run -r 1 -n 100 -m $((M / 5)) --history                  # with the history plugin
}

# palaver-bench alone over room sizes: one line per size into $1
bench_sizes() {
    echo "# occupants deliveries/s cpu_us_per_delivery p50_ms p99_ms" >"$1"
    for n in 10 50 100 200 500 1000; do
        m=$((2000000 / n)); [ $m -gt 100000 ] && m=100000
        line=$("$PB" -r 1 -n "$n" -m "$m" -w 10 | grep '^messages:')
        echo "n=$n: $line"
        # deliveries/s, palaver CPU us per delivery (from its CPU seconds), p50, p99
        echo "$line" | awk -v n="$n" '{
            for (i = 1; i <= NF; i++) {
                if ($i == "deliveries/s;") rate = $(i - 1)
                if ($i == "p50") p50 = $(i + 1)
                if ($i == "p99") p99 = $(i + 1)
                if ($i == "CPU") cpu = $(i + 1)
                if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, d, "/"); dl = d[1] }
            }
            printf "%d %d %.3f %s %s\n", n, rate, cpu * 1e6 / dl, p50, p99 }' >>"$1"
    done
}

case $mode in
plot)
    uptime
    bench_sizes palaver-bench.dat
    /usr/bin/python3 "$S/bench/e2e-prosody.py" --sizes 10,50,100,200 -m 1000 --rounds 2 \
        --data fanout.dat
    /usr/bin/python3 "$S/bench/e2e-ejabberd.py" --sizes 10,50,100,200 -m 2000 --rounds 2 \
        --data fanout-ejabberd.dat
    sh "$S/bench/plot.sh" fanout.dat palaver-bench.dat . fanout-ejabberd.dat
    uptime
    ;;
e2e)
    /usr/bin/python3 "$S/bench/e2e-prosody.py" $E2E ;;
ejabberd)
    /usr/bin/python3 "$S/bench/e2e-ejabberd.py" -n 50 -m 4000 --rounds 2 ;;
cluster)
    uptime; /usr/bin/python3 "$S/bench/cluster-failover.py" all --repeat 2; uptime ;;
memory)
    uptime; memory; uptime ;;
lazy)
    uptime; lazy; uptime ;;
store)
    uptime; store; uptime ;;
bench)
    uptime; scenarios; uptime ;;
all|quick)
    uptime
    scenarios
    memory
    lazy
    echo "== e2e-prosody.py $E2E"
    /usr/bin/python3 "$S/bench/e2e-prosody.py" $E2E
    if [ "$mode" = all ]; then
        echo "== e2e-ejabberd.py -n 50 -m 4000 --rounds 2"
        /usr/bin/python3 "$S/bench/e2e-ejabberd.py" -n 50 -m 4000 --rounds 2
    fi
    uptime
    ;;
*)
    echo "usage: sh run.sh [quick|bench|plot|e2e|ejabberd|memory|lazy|store|cluster]" >&2; exit 2 ;;
esac
