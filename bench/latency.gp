# latency.gp -- produce->subscriber latency distribution at 1,000 articles/s, squawk vs the Python baseline.
# gnuplot -e "squawk='FILE'; baseline='FILE'; out='latency.png'" bench/latency.gp
# Input lines (bench/hist.c): percentile  latency_us  1/(1-percentile)
set terminal pngcairo size 1000,600 noenhanced font "sans,10"
set output out
set title "produce -> subscriber latency at 1,000 articles/s (5 KB articles, loopback TCP)"
set logscale x
set logscale y
set xlabel "percentile"
set ylabel "latency (microseconds)"
set xtics ("0%%" 1, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000)
set grid xtics ytics mxtics mytics
set key top left
plot squawk using 3:2 with steps lw 2 title "squawk", \
     baseline using 3:2 with steps lw 2 title "Python baseline"
