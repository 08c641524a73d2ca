# Throughput and latency per system, from suite.py's suite.dat.
# gnuplot -e 'dat="suite.dat"; png="suite.png"' suite.gp
set terminal pngcairo size 1100,450 font ",10"
set output png
set multiplot layout 1,2
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30
set grid ytics
set logscale y
set title "Throughput: 2,000 jobs running true, 2-way (jobs/s, log)"
plot dat using 2:xtic(1) title "the system" lc rgb "#3070b0", \
     dat using 5 title "xargs -P2 alongside (same minute)" lc rgb "#b0b0b0"
set yrange [0.1:*]
set title "Latency on an idle system, p50 (ms, log)"
plot dat using 3:xtic(1) title "submit to start" lc rgb "#30a050", \
     dat using 4 title "submit to completion" lc rgb "#d08030"
unset multiplot
