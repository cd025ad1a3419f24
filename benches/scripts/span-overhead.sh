#!/usr/bin/env bash
# Step throughput with the span-timing layer on, against off, in alternating processes
# (a process can install its global subscriber only once). The order alternates each
# round (off-on, on-off, ...): on this shared machine whichever side runs second was
# measured slower, whatever it was. Prints each pair's medians and the median of the
# on/off throughput ratios.
#
#   benches/scripts/span-overhead.sh [ROUNDS]      (default 5)
set -euo pipefail
rounds=${1:-5}
cd "$(dirname "$0")/../.."
cargo bench -p qnce-benches --bench telemetry --no-run >/dev/null 2>&1
median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$1"; }
ratios=()
for round in $(seq "$rounds"); do
    if (( round % 2 )); then sides="off on"; else sides="on off"; fi
    for side in $sides; do
        QNCE_BENCH_SPANS=$side cargo bench -q -p qnce-benches --bench telemetry -- \
            "spans/step/$side" --measurement-time 4 >/dev/null 2>&1
    done
    off=$(median target/criterion/spans/step_off/new/estimates.json)
    on=$(median target/criterion/spans/step_on/new/estimates.json)
    ratio=$(python3 -c "print(f'{$off / $on:.3f}')")
    ratios+=("$ratio")
    printf 'round %s: off %.0f ns, on %.0f ns, throughput on/off %s\n' "$round" "$off" "$on" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median on/off throughput:", a[int((NR+1)/2)]}'
