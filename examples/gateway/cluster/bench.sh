#!/usr/bin/env bash
# Measures the three-node cluster of run.sh on this machine: two gateway
# nodes with embedded NATS servers, a third NATS server, one smsc-sim
# operator, all on loopback, and two smppcli bench processes (one per node)
# asking a receipt for every message.
#
#   examples/gateway/cluster/bench.sh                 # N=40000 messages as fast as they go
#   RATE=1000 DURATION=20s examples/gateway/cluster/bench.sh   # latency at a paced rate
#
# Prints each bench's JSON summary and the CPU seconds each process used.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
N="${N:-40000}"
RATE="${RATE:-0}"
DURATION="${DURATION:-}"
DLR_TIMEOUT="${DLR_TIMEOUT:-5m}"
work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
for p in 2775 2776 2777 2785 2787 4222 4223 4224 6222 6223 6224 8180 8181; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "bench.sh: port $p is in use (is run.sh running?)" >&2; exit 1
  fi
done
(cd "$root/examples" && go build -o "$work/" ./gateway ./smsc-sim ./smppcli)
for n in a b n3; do
  # The demo account without its rate (a load test), data in the work folder.
  sed -e 's/{system_id: demo, password: demo1234, rate: 1000}/{system_id: demo, password: demo1234, unlimited: true}/' \
      -e "s|data_dir: ./cluster-data/|data_dir: $work/|" "$here/$n.yaml" > "$work/$n.yaml"
done
"$work/smsc-sim" -listen 127.0.0.1:2776 -system-id gateway -password sim -dedupe-tlv 0x1501 -log-level warn >"$work/sim.log" 2>&1 & pids+=($!)
"$work/gateway" -nats-only -config "$work/n3.yaml" -log-level warn >"$work/n3.log" 2>&1 & pids+=($!)
"$work/gateway" -config "$work/a.yaml" -log-level warn >"$work/a.log" 2>&1 & pids+=($!)
"$work/gateway" -config "$work/b.yaml" -log-level warn >"$work/b.log" 2>&1 & pids+=($!)
for f in a b; do
  for _ in $(seq 120); do grep -q "data folder:" "$work/$f.log" && break; sleep 0.5; done
  grep -q "data folder:" "$work/$f.log" || { echo "bench.sh: node $f did not start:"; cat "$work/$f.log"; exit 1; }
done
sleep 2 # the nodes share the upstream binds out
cpu() { for pid in "${pids[@]}"; do awk '{print $14+$15}' "/proc/$pid/stat"; done; }
before=($(cpu))
args=(-system-id demo -dlr -dlr-timeout "$DLR_TIMEOUT" -binds 2 -window 500 -json -no-progress)
if [ -n "$DURATION" ]; then args+=(-duration "$DURATION"); else args+=(-n $((N / 2))); fi
if [ "$RATE" != "0" ]; then args+=(-rate "$(awk "BEGIN{print $RATE/2}")"); fi
SMPP_PASSWORD=demo1234 "$work/smppcli" bench -addr 127.0.0.1:2785 "${args[@]}" >"$work/bench-a.json" 2>"$work/bench-a.err" &
ba=$!
SMPP_PASSWORD=demo1234 "$work/smppcli" bench -addr 127.0.0.1:2787 "${args[@]}" >"$work/bench-b.json" 2>"$work/bench-b.err" &
bb=$!
status=0
wait $ba || status=1
wait $bb || status=1
after=($(cpu))
cat "$work"/bench-*.err
hz=$(getconf CLK_TCK)
names=(smsc-sim n3 gateway-a gateway-b)
echo "bench via node a:"; cat "$work/bench-a.json"
echo "bench via node b:"; cat "$work/bench-b.json"
for i in "${!names[@]}"; do
  awk -v n="${names[$i]}" -v a="${before[$i]}" -v b="${after[$i]}" -v hz="$hz" 'BEGIN{printf "cpu %-10s %.1f s\n", n, (b-a)/hz}'
done
exit $status
