#!/usr/bin/env bash
# Measures what connections that never bind cost the gateway (the figures of
# the README): starts the gateway on an empty data folder with a plaintext
# listener, and with examples/gateway/internal/flood opens on loopback
#   large: 10,000 connections that each announce a 70,000-octet PDU and
#          send nothing more;
#   tls:   5,000 connections that finish the TLS handshake and say nothing;
# each against a fresh gateway, and prints its VmRSS, VmHWM (peak RSS),
# heap in use and goroutines before and while the connections are held.
# From the repository's root:
#
#   examples/gateway/flood.sh                      # the gateway of this tree
#   OLD=/tmp/gateway-old examples/gateway/flood.sh # alternate with another build
#   CONFIG=no-limits.yaml examples/gateway/flood.sh
#
# where /tmp/gateway-old was built from an older commit, e.g.
#   git worktree add /tmp/old f5d9993 && (cd /tmp/old && go build -o /tmp/gateway-old ./examples/gateway)
# and no-limits.yaml holds `unbound: {max_conns: -1, max_per_addr: -1}`.
# PAIRS (default 2) runs of each build per mode, old and new alternating;
# N (10000) and TLS_N (5000) set the counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/gateway" ./examples/gateway
go build -o "$work/flood" ./examples/gateway/internal/flood
pairs=${PAIRS:-2}
plain=127.0.0.1:27760 tlsaddr=127.0.0.1:27750 http=127.0.0.1:27780

# run BINARY MODE [config]: one measurement against a fresh gateway.
run() {
	local bin=$1 mode=$2 args=()
	rm -rf "$work/data"
	if [ -n "${CONFIG:-}" ] && [ "$bin" = "$work/gateway" ]; then args=(-config "$CONFIG"); fi
	"$bin" "${args[@]}" -data "$work/data" -listen "$tlsaddr" -plaintext-listen "$plain" -http "$http" \
		-log-level error >"$work/gateway.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		if curl -fs "http://$http/metrics" >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	sleep 1
	if [ "$mode" = large ]; then
		"$work/flood" -mode large -addr "$plain" -n "${N:-10000}" -pid "$pid" -metrics "http://$http/metrics"
	else
		"$work/flood" -mode tls -addr "$tlsaddr" -n "${TLS_N:-5000}" -pid "$pid" -metrics "http://$http/metrics"
	fi
	kill "$pid"; wait "$pid" 2>/dev/null || true
	pid=
}

for mode in large tls; do
	for i in $(seq "$pairs"); do
		if [ -n "${OLD:-}" ]; then
			echo "== $mode, run $i: $OLD"
			run "$OLD" "$mode"
		fi
		echo "== $mode, run $i: this tree${CONFIG:+ with $CONFIG}"
		run "$work/gateway" "$mode"
	done
done
