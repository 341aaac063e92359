#!/usr/bin/env bash
# Runs the three-node cluster on this machine: an operator simulator on
# 127.0.0.1:2776, gateway nodes a (SMPP TLS 2775, plaintext 2785, status
# 8180) and b (2777, 2787, 8181), and a third NATS server (n3). A node that
# dies (kill -9 it to see the failover) leaves the others running; Ctrl-C stops
# all. Data in ./cluster-data (remove it to start afresh).
#
#   examples/gateway/cluster/run.sh
#   SMPP_PASSWORD=demo1234 go run ./examples/smppcli send -addr 127.0.0.1:2785 -system-id demo -to 254700000001 -text hi -wait-dlr
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
bin="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$bin"' EXIT INT TERM
(cd "$root/examples" && go build -o "$bin/" ./gateway ./smsc-sim)
mkdir -p cluster-data
"$bin/smsc-sim" -listen 127.0.0.1:2776 -system-id gateway -password sim -dedupe-tlv 0x1501 -dlr-delay 200ms -log-level warn &
"$bin/gateway" -nats-only -config "$here/n3.yaml" &
"$bin/gateway" -config "$here/a.yaml" &
"$bin/gateway" -config "$here/b.yaml" &
wait
