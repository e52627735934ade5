#!/bin/sh
# callgrind-per-call.sh: instructions `sipspec serve` spends per SIP message it receives on a
# call (INVITE, ACK, BYE: three per call, with what each one causes: parsing, the transaction
# and dialog work, and the responses built and sent); with `load` as the sixth argument, the
# instructions the client `sipspec load` spends per call and per message it receives (100,
# 180, the 200 to the INVITE, the 200 to the BYE: four per call from `sipspec serve`).
#
# Runs the measured side under callgrind on 127.0.0.1 twice, the other side natively, for N1
# and then N2 calls, and prints (Ir(N2) - Ir(N1)) / (N2 - N1) per call and per message:
# start-up, listening and shutdown cancel out. Retransmissions would add messages: the rate is
# kept low, and load's summary is checked for failures.
#
# Usage: callgrind-per-call.sh <sipspec binary> [udp|tcp] [N1] [N2] [rate] [serve|load]
set -eu
bin=${1:?usage: $0 <sipspec> [udp|tcp] [N1] [N2] [rate] [serve|load]}
tp=${2:-udp}
n1=${3:-20}
n2=${4:-120}
rate=${5:-20}
side=${6:-serve}
case $side in
  serve) per=3 ;;
  load) per=4 ;;
  *) echo "$0: the measured side is serve or load, not $side" >&2; exit 2 ;;
esac
command -v valgrind >/dev/null 2>&1 || { echo "$0: valgrind not found" >&2; exit 2; }
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Total instructions of one serve run that answered $1 calls.
ir() {
  rm -f "$tmp/cg.out"
  if [ "$side" = serve ]; then
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bin" serve --listen 127.0.0.1:0 \
      --transport "$tp" >"$tmp/serve.txt" 2>"$tmp/vg.txt" &
  else
    "$bin" serve --listen 127.0.0.1:0 --transport "$tp" >"$tmp/serve.txt" 2>"$tmp/vg.txt" &
  fi
  pid=$!
  port=
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$tmp/serve.txt" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$0: serve did not start" >&2; cat "$tmp/serve.txt" "$tmp/vg.txt" >&2; exit 1; }
  vg=
  [ "$side" = load ] && vg="valgrind --tool=callgrind --callgrind-out-file=$tmp/cg.out"
  if ! $vg "$bin" load --calls "$1" --rate "$rate" --transport "$tp" --quiet --json "sip:mrcp@127.0.0.1:$port" \
      >"$tmp/load.json" 2>"$tmp/load.err"; then
    echo "$0: sessions failed" >&2
    cat "$tmp/load.json" "$tmp/load.err" >&2
    exit 1
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  awk '/^summary:/ { print $2 }' "$tmp/cg.out"
}

a=$(ir "$n1")
b=$(ir "$n2")
awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" -v tp="$tp" -v side="$side" -v per="$per" \
  'BEGIN { printf "%s/%s: %.0f Ir per received message, %.0f per call (%d calls, %d messages each)\n", side, tp, (b - a) / (per * (n2 - n1)), (b - a) / (n2 - n1), n2 - n1, per }'
