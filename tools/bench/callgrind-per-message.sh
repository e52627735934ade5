#!/bin/sh
# callgrind-per-message.sh: instructions per parsed message for each parser of bench-parse.
#
# Runs bench-parse under callgrind twice per parser (N1 and N2 passes over the corpus) and
# prints (Ir(N2) - Ir(N1)) / ((N2 - N1) * messages): loading, setup and the verification pass
# cancel out, leaving the cost of one parse. Also prints the "none" baseline for reference.
#
# Usage: callgrind-per-message.sh <bench-parse binary> [corpus dir] [N1] [N2]
set -eu
bin=${1:?usage: $0 <bench-parse> [corpus] [N1] [N2]}
corpus=${2:-}
n1=${3:-20}
n2=${4:-120}
command -v valgrind >/dev/null 2>&1 || { echo "$0: valgrind not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copt=""
[ -n "$corpus" ] && copt="--corpus $corpus"

# Total instructions (Ir) of one run.
ir() {
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bin" $copt --only "$1" --iterations "$2" \
    >"$tmp/run.txt" 2>"$tmp/vg.txt" || { cat "$tmp/run.txt" "$tmp/vg.txt" >&2; exit 1; }
  awk '/^summary:/ { print $2 }' "$tmp/cg.out"
}

# Number of messages in the corpus, from bench-parse's own report.
# shellcheck disable=SC2086
msgs=$("$bin" $copt --only none --iterations 1 | awk '{ print $(NF-3) }')
printf '%-8s %16s\n' parser 'Ir/message'
for p in sipspec osip sofia; do
  # shellcheck disable=SC2086
  if ! "$bin" $copt --only "$p" --iterations 1 >/dev/null 2>&1; then
    printf '%-8s %16s\n' "$p" 'not available'
    continue
  fi
  a=$(ir "$p" "$n1")
  b=$(ir "$p" "$n2")
  awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" -v m="$msgs" -v p="$p" \
    'BEGIN { printf "%-8s %16.0f\n", p, (b - a) / ((n2 - n1) * m) }'
done
base=$(ir none 1)
echo "baseline (load corpus, parse nothing): $base Ir"
