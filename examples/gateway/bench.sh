#!/usr/bin/env bash
# Runs the gateway benchmark of the README once: builds the gateway and
# smppcli, starts the gateway on an empty data folder with $CONFIG (default
# examples/gateway/bench.yaml), runs `smppcli bench` over TLS with receipts
# and the arguments given, prints the gateway's CPU time (Linux /proc), and
# stops the gateway. Examples, from the repository's root:
#
#   examples/gateway/bench.sh -n 100000
#   examples/gateway/bench.sh -duration 20s -rate 5000
#   GOGC=100 examples/gateway/bench.sh -duration 20s -rate 5000
#   CONFIG=my-bench.yaml examples/gateway/bench.sh -n 100000 -rate 12000
#   GATEWAY=/tmp/old/gateway examples/gateway/bench.sh -duration 40s -rate 20000
#
# GATEWAY runs a gateway binary built elsewhere (an older commit, for
# alternating pairs of runs: `git worktree add /tmp/old <commit>`, then
# `cd /tmp/old && go build -o /tmp/old/gateway ./examples/gateway`).
# where my-bench.yaml is bench.yaml with, say, `store: {sync_interval: 0s}`
# or `store: {memtable_size: 32MiB}` added.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${CONFIG:-examples/gateway/bench.yaml}
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${GATEWAY:-}" ]; then
	cp "$GATEWAY" "$work/gateway"
else
	go build -o "$work/gateway" ./examples/gateway
fi
go build -o "$work/smppcli" ./examples/smppcli
"$work/gateway" -config "$config" -data "$work/data" >"$work/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	if (exec 3<>/dev/tcp/127.0.0.1/2775) 2>/dev/null; then break; fi
	sleep 0.1
done
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks)
"$work/smppcli" bench -addr 127.0.0.1:2775 -tls -insecure-skip-verify -system-id load -password load \
	-binds 4 -window 500 -dlr -no-progress "$@"
t1=$(ticks)
echo "  gateway CPU during the run: $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms"
