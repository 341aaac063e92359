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
#   SIM=external examples/gateway/bench.sh -duration 20s -rate 5000
#   SIM=external GATEWAY=/tmp/old/gateway examples/gateway/bench.sh -duration 20s -rate 5000
#
#   SMPP_PORT=3775 PLAIN_PORT=3776 HTTP_PORT=9080 examples/gateway/bench.sh -n 100000
#
# where my-bench.yaml is bench.yaml with, say, `store: {sync_interval: 0s}`
# or `store: {memtable_size: 32MiB}` added.
#
# The gateway listens on 127.0.0.1: SMPP over TLS on $SMPP_PORT (default
# 2775, where the bench connects), plaintext SMPP on $PLAIN_PORT (2776) and
# the status page and metrics on $HTTP_PORT (8080), given to it as -listen,
# -plaintext-listen and -http, which override the configuration's (gateways
# of older commits read these flags too).
#
# GATEWAY runs a gateway binary built elsewhere (an older commit, for
# alternating pairs of runs: `git worktree add /tmp/old <commit>`, then
# `cd /tmp/old && go build -o /tmp/old/gateway ./examples/gateway`).
#
# By default (SIM=embedded) the operator simulator runs inside the gateway's
# process (bench.yaml's simulator: section), so "gateway CPU" includes the
# operator's work. SIM=external runs it as a process of its own instead:
# examples/smsc-sim, built from this tree (also with GATEWAY), started on a
# free loopback port with the settings of bench.yaml's simulator: section
# (system_id gateway, password sim, receipts 100 ms after the submit, dedupe
# TLV 0x1501, system_id OPERATOR in its bind responses); the gateway runs
# on a copy of $CONFIG (default examples/gateway/bench-external.yaml: bench.yaml
# with `simulator: null` and the upstream sim given addrs) in which SIM_ADDR
# is replaced by the simulator's address. It prints the gateway's CPU, the
# simulator's CPU and their sum. bench-external.yaml uses only keys that older
# gateways read too (checked with the gateway of 270682b).
set -euo pipefail
cd "$(dirname "$0")/../.."
sim_mode=${SIM:-embedded}
smpp_addr=127.0.0.1:${SMPP_PORT:-2775}
plain_addr=127.0.0.1:${PLAIN_PORT:-2776}
http_addr=127.0.0.1:${HTTP_PORT:-8080}
case $sim_mode in
embedded) config=${CONFIG:-examples/gateway/bench.yaml} ;;
external) config=${CONFIG:-examples/gateway/bench-external.yaml} ;;
*) echo "bench.sh: SIM=$sim_mode: want embedded or external" >&2; exit 2 ;;
esac
work=$(mktemp -d)
pid=
simpid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ -n "$simpid" ]; then kill "$simpid" 2>/dev/null || true; wait "$simpid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
for addr in "$smpp_addr" "$plain_addr" "$http_addr"; do
	if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
		echo "bench.sh: $addr is in use already (another gateway running?); set SMPP_PORT, PLAIN_PORT or HTTP_PORT" >&2
		exit 1
	fi
done
if [ -n "${GATEWAY:-}" ]; then
	cp "$GATEWAY" "$work/gateway"
else
	go build -o "$work/gateway" ./examples/gateway
fi
go build -o "$work/smppcli" ./examples/smppcli
if [ "$sim_mode" = external ]; then
	grep -q SIM_ADDR "$config" || { echo "bench.sh: $config has no SIM_ADDR to replace" >&2; exit 2; }
	go build -o "$work/smsc-sim" ./examples/smsc-sim
	# The embedded simulator's settings (demo.go's startSimulator, bench.yaml's
	# simulator: section); port 0: the kernel picks a free one, read back from
	# the banner.
	"$work/smsc-sim" -listen 127.0.0.1:0 -system-id gateway -password sim -smsc-id OPERATOR \
		-dlr-delay 100ms -dedupe-tlv 0x1501 >"$work/sim.out" 2>"$work/sim.log" &
	simpid=$!
	simaddr=
	for _ in $(seq 100); do
		simaddr=$(sed -n 's/^smsc-sim listening on \([^ ]*\) .*/\1/p' "$work/sim.out")
		[ -n "$simaddr" ] && break
		kill -0 "$simpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$simaddr" ]; then
		echo "bench.sh: smsc-sim did not start:" >&2
		cat "$work/sim.out" "$work/sim.log" >&2
		exit 1
	fi
	sed "s/SIM_ADDR/$simaddr/g" "$config" >"$work/config.yaml"
	config=$work/config.yaml
	echo "  simulator: smsc-sim on $simaddr (pid $simpid)"
fi
"$work/gateway" -config "$config" -data "$work/data" -listen "$smpp_addr" -plaintext-listen "$plain_addr" -http "$http_addr" \
	>"$work/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/${smpp_addr%:*}/${smpp_addr##*:}") 2>/dev/null; then break; fi
	sleep 0.1
done
if ! kill -0 "$pid" 2>/dev/null; then
	echo "bench.sh: the gateway did not start:" >&2
	cat "$work/gateway.log" >&2
	exit 1
fi
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ms() { echo $(( $1 * 1000 / $(getconf CLK_TCK) )); }
t0=$(ticks "$pid")
if [ -n "$simpid" ]; then s0=$(ticks "$simpid"); fi
echo "  gateway: SMPP/TLS $smpp_addr, plaintext $plain_addr, status page http://$http_addr/"
"$work/smppcli" bench -addr "$smpp_addr" -tls -insecure-skip-verify -system-id load -password load \
	-binds 4 -window 500 -dlr -no-progress "$@"
t1=$(ticks "$pid")
echo "  gateway CPU during the run: $(ms $((t1 - t0))) ms"
if [ -n "$simpid" ]; then
	s1=$(ticks "$simpid")
	echo "  simulator CPU during the run: $(ms $((s1 - s0))) ms"
	echo "  gateway + simulator CPU: $(ms $((t1 - t0 + s1 - s0))) ms"
fi
