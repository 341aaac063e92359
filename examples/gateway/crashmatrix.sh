#!/usr/bin/env bash
# Runs the gateway's crash matrix (TestCrashMatrix in crashmatrix_test.go)
# with more messages per cell than the test suite does, and prints its table:
# {kill -9, SIGTERM} x {upstream with a dedupe key, without} x {stopped 0.5 s
# into the load, halfway through it}, each cell counting the messages
# acknowledged, lost, marked UNKNOWN, sent twice upstream, and the receipts
# missing or duplicated. From the repository's root:
#
#   examples/gateway/crashmatrix.sh                 # 100,000 messages a cell at 6,000 msg/s
#   N=50000 RATE=8000 examples/gateway/crashmatrix.sh
#
# The test's full log (each cell's details, and the evidence of a failing
# cell) is kept in $LOG (default: a temporary file, named at the end).
# Exits with the test's status: non-zero when a cell missed a goal.
set -uo pipefail
cd "$(dirname "$0")/.."
n=${N:-100000}
rate=${RATE:-6000}
log=${LOG:-$(mktemp /tmp/crashmatrix.XXXXXX)}
echo "crash matrix: $n messages a cell at $rate msg/s (log: $log)"
go test -count=1 -timeout 0 -run '^TestCrashMatrix$' -v ./gateway/ \
	-args -crashmatrix.n="$n" -crashmatrix.rate="$rate" >"$log" 2>&1
status=$?
echo
echo "| stop | upstream | stopped at | sent | acknowledged | lost | still queued | UNKNOWN | sent twice | receipts missing | receipts duplicated | stop to restarted | last receipt after last ack |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
sed -n 's/^.*crashmatrix_test\.go:[0-9]*: row: //p' "$log"
echo
grep -E '^\s*--- (PASS|FAIL)' "$log"
grep -E '^(ok|FAIL|panic)' "$log"
echo "log: $log"
exit $status
