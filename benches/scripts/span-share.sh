#!/usr/bin/env bash
# The span-timing layer's share of stepping time, from a CPU profile rather than a clock:
# runs `span-cost on` and `span-cost off` (1,000,000 steps each) under `perf record` and
# sums the samples in tracing, tracing-subscriber, sharded-slab and the layer. Sample
# shares within one run do not drift with the machine's load as wall-clock time does.
#
#   benches/scripts/span-share.sh [RUNS] [SAMPLE_EVERY]   (default 3 runs, the layer's
#                                                          default sampling; needs perf)
set -euo pipefail
runs=${1:-3}
every=${2:-16}
cd "$(dirname "$0")/../.."
cargo build -q --release -p qnce-benches --bin span-cost
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for run in $(seq "$runs"); do
    for side in off on; do
        perf record -q -o "$data/$side.data" target/release/span-cost "$side" 1000000 "$every" >"$data/$side.txt" 2>/dev/null
        share=$(perf report -i "$data/$side.data" --no-children --percent-limit 0 --stdio 2>/dev/null |
            grep -E '^ +[0-9]' |
            grep -iE 'tracing|telemetry::|sharded_slab|clock_gettime|Instant>::now|callsite|dispatch' |
            awk '{s += $1} END {printf "%.2f", s}')
        printf 'run %s, spans %-3s: %5s%% of samples in tracing and the layer; %s\n' \
            "$run" "$side" "$share" "$(cut -d, -f1 "$data/$side.txt" | sed 's/^spans [a-z]*: //')"
    done
done
