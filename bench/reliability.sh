#!/usr/bin/env bash
# Long reliability run: the reliability suite with raised knobs, then the figures it measured.
#   bench/reliability.sh [KILLS] [SEED]     (defaults: 300 kills, seed 20240610)
# Environment: BACKFILL_RELIABILITY_FUZZ_CLI (default 2000), BACKFILL_RELIABILITY_FUZZ_JSON (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-300}
seed=${2:-20240610}
report=$(mktemp -t backfill-reliability.XXXXXX)
export BACKFILL_RELIABILITY_KILLS=$kills BACKFILL_RELIABILITY_SEED=$seed BACKFILL_RELIABILITY_REPORT=$report
export BACKFILL_RELIABILITY_FUZZ_CLI=${BACKFILL_RELIABILITY_FUZZ_CLI:-2000}
export BACKFILL_RELIABILITY_FUZZ_JSON=${BACKFILL_RELIABILITY_FUZZ_JSON:-100000}
build_log=$(mktemp -t backfill-build.XXXXXX)
if ! dotnet build tests/Backfill.Reliability.Tests -c Release -warnaserror --nologo >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log" "$report"; exit 1
fi
rm -f "$build_log"
start=$(date +%s)
status=0
dotnet test --project tests/Backfill.Reliability.Tests -c Release --no-build --no-progress || status=$?
echo
echo "reliability run: seed $seed, $(( $(date +%s) - start )) s, exit $status"
sort "$report" | awk '{ printf "  %-60s %s\n", $1, $2 }'
rm -f "$report"
exit $status
