#!/bin/sh
# bench/plot.sh: draws the fan-out plots with gnuplot from the data files that
# `bench/run.sh plot` writes.
#   usage: sh plot.sh FANOUT.dat BENCH.dat OUTDIR [EJABBERD.dat]
# FANOUT.dat (e2e-prosody.py --data): occupants; deliveries/s of Prosody's
# mod_muc, the null component and Palaver behind Prosody; the server side's
# CPU us per delivery of each; their p99 in ms. BENCH.dat (palaver-bench):
# occupants, deliveries/s, palaver CPU us per delivery, p50, p99 ms.
# Writes OUTDIR/fanout.png (end to end: measured deliveries/s, and what one
# fully busy server core delivers, 1e6 / CPU us per delivery, which does not
# depend on the load generator's speed) and OUTDIR/palaver-bench.png; with
# EJABBERD.dat (e2e-ejabberd.py --data) also OUTDIR/fanout-ejabberd.png.
set -eu
e2e=$1 bench=$2 out=$3 ej=${4:-}
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
gnuplot <<EOF
set terminal pngcairo size 1200,620 font "DejaVu Sans,10"
set output "$out/fanout.png"
set multiplot layout 1,2 title "Groupchat fan-out behind Prosody 0.12: one sender, one room, raw c2s clients (higher is better)"
set xlabel "occupants in the room"
set key below box
set bmargin 8
set xrange [8:260]
set grid
set logscale x
set xtics (10, 20, 50, 100, 200, 500, 1000)
set yrange [0:*]
set title "measured: delivered stanzas per second"
set ylabel "delivered stanzas / s"
plot "$e2e" using 1:2 with linespoints lw 2 pt 7 title "Prosody's own mod\\\\_muc", \
     "$e2e" using 1:3 with linespoints lw 2 pt 5 dt 2 title "null component (routing ceiling)", \
     "$e2e" using 1:4 with linespoints lw 2 pt 9 title "Palaver via Prosody"
set title "per server CPU second: 1e6 / (server-side CPU us per delivery)"
set ylabel "delivered stanzas per second of server CPU"
plot "$e2e" using 1:(1e6/\$5) with linespoints lw 2 pt 7 title "Prosody's own mod\\\\_muc", \
     "$e2e" using 1:(1e6/\$6) with linespoints lw 2 pt 5 dt 2 title "null component (Prosody + it)", \
     "$e2e" using 1:(1e6/\$7) with linespoints lw 2 pt 9 title "Palaver via Prosody (Prosody + Palaver)"
unset multiplot
set terminal pngcairo size 900,560 font "DejaVu Sans,10"
set output "$out/palaver-bench.png"
set title "Palaver alone (palaver-bench plays the server): fan-out of one room, 10 messages in flight"
set ylabel "delivered stanzas per second"
set y2label "palaver CPU us per delivery"
set y2tics
set y2range [0:*]
set ytics nomirror
set key below box
set bmargin 8
set xrange [8:1300]
plot "$bench" using 1:2 axes x1y1 with linespoints lw 2 pt 7 title "deliveries/s (left)", \
     "$bench" using 1:3 axes x1y2 with linespoints lw 2 pt 5 dt 2 title "CPU us per delivery (right)"
EOF
echo "wrote $out/fanout.png $out/palaver-bench.png"
[ -n "$ej" ] || exit 0
gnuplot <<EOF
set terminal pngcairo size 1200,620 font "DejaVu Sans,10"
set output "$out/fanout-ejabberd.png"
set multiplot layout 1,2 title "Groupchat fan-out behind ejabberd 23.01: one sender, one room, raw c2s clients (higher is better)"
set xlabel "occupants in the room"
set key below box
set bmargin 8
set xrange [8:260]
set grid
set logscale x
set xtics (10, 20, 50, 100, 200, 500, 1000)
set yrange [0:*]
set title "measured: delivered stanzas per second"
set ylabel "delivered stanzas / s"
plot "$ej" using 1:2 with linespoints lw 2 pt 7 title "ejabberd's own mod\\\\_muc", \
     "$ej" using 1:3 with linespoints lw 2 pt 5 dt 2 title "null component (ceiling of copies)", \
     "$ej" using 1:4 with linespoints lw 2 pt 9 title "Palaver, one copy per recipient", \
     "$ej" using 1:5 with linespoints lw 2 pt 11 title "Palaver, XEP-0033 multicast"
set title "per server CPU second: 1e6 / (server-side CPU us per delivery)"
set ylabel "delivered stanzas per second of server CPU"
plot "$ej" using 1:(1e6/\$6) with linespoints lw 2 pt 7 title "ejabberd's own mod\\\\_muc", \
     "$ej" using 1:(1e6/\$7) with linespoints lw 2 pt 5 dt 2 title "null component", \
     "$ej" using 1:(1e6/\$8) with linespoints lw 2 pt 9 title "Palaver, copies", \
     "$ej" using 1:(1e6/\$9) with linespoints lw 2 pt 11 title "Palaver, multicast"
unset multiplot
EOF
echo "wrote $out/fanout-ejabberd.png"
