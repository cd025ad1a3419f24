#!/usr/bin/env bash
# Real-terminal input latency (key read to frame drawn, as the runner records it): the release binary full-screen in tmux (100x30), 400 keys
# (Enter, u alternating, each sent after the previous frame shows), then the help screen's
# p50/p99 line.
# Usage: benches/scripts/tui-latency.sh target/release/qnce stories/lighthouse
set -euo pipefail
S=qnce-lat-$$
tmux -L $S -f /dev/null new-session -d -x 100 -y 30 "$1 play $2 --seed 1 --save-dir /tmp/qnce-lat-saves --no-gamepad"
sleep 1
for i in $(seq 1 200); do
  tmux -L $S send-keys -t 0 Enter
  until tmux -L $S capture-pane -p -t 0 | grep -q "turn 1"; do :; done
  tmux -L $S send-keys -t 0 u
  until tmux -L $S capture-pane -p -t 0 | grep -q "turn 0"; do :; done
done
tmux -L $S send-keys -t 0 '?'
until tmux -L $S capture-pane -p -t 0 | grep -q "Input latency: p50"; do :; done
tmux -L $S capture-pane -p -t 0 | grep -o "Input latency: p50[^│]*"
tmux -L $S kill-server
