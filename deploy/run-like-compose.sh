#!/usr/bin/env bash
# Runs what deploy/container/compose.yaml runs, as local processes on
# loopback, and checks that the system comes up: the city cluster forms
# (three voters, equal applied index and state digest), the population is
# loaded, the edge enrolls with a one-time token and fetches and verifies
# its signed subset, and the officer account made at the city logs in at
# the edge.
#
#   bash deploy/run-like-compose.sh            # build, run, check, stop; exit 0 if all is well
#   bash deploy/run-like-compose.sh --dry-run  # only parse compose.yaml and print the commands
#
# It reads each service's `command:`, healthcheck `test:`, `environment:`
# and `depends_on:` from compose.yaml itself, so the commands and flags
# cannot drift from the compose file. Only what differs between a container
# and a local process is translated:
#
#   in compose.yaml                 here
#   /usr/local/bin/xanode           the freshly built binary
#   /pki, /data, /seed (volumes)    folders under a temporary folder
#   172.30.89.N (fixed IPs)         127.0.0.N
#   https://city-N:  (service DNS)  https://127.0.0.1N:
#   0.0.0.0:  (edge listen)         127.0.0.20:
#   //localhost:  (the edge's own   //127.0.0.20:
#     health check)
#   $$  (compose's literal $)       $
#   tools image (busybox sh -c)     bash -c
#
# The services run one after the other in the order below, which must
# respect their depends_on; a long-running service with a healthcheck is
# waited for (its own test, then a city node's /readyz over TLS) before the next
# one starts. Every wait is bounded. On any failure it prints the failing
# step's log and exits 1; whatever it started is stopped on exit. Like
# compose's health checks, this script reads the city nodes' status with
# the PKI's monitor certificate (status and metrics only), never the admin
# one; /readyz needs no certificate.
#
# Environment: XANODE_BIN=PATH uses a binary instead of building one;
# XANODE_KEEP=1 keeps the temporary folder (logs, data) for inspection.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
compose=$repo/deploy/container/compose.yaml
order=(pki population cards city-1 city-2 city-3 import officer enroll edge)

dry_run=0
case "${1:-}" in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

start=$SECONDS
say() { printf '[%3ds] %s\n' $((SECONDS - start)) "$*"; }
die() {
  printf '[%3ds] FAIL: %s\n' $((SECONDS - start)) "$1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- last 60 lines of $2" >&2
    tail -n 60 "$2" >&2
    echo "----" >&2
  fi
  exit 1
}

# ---- parse compose.yaml -------------------------------------------------
# One record per line: service<TAB>key<TAB>value, for the keys kind
# (tools|node, from the `<<: *anchor` line), command, test, env
# (KEY=value) and dep (name=condition).
parsed=$(awk '
  function emit(k, v) { printf "%s\t%s\t%s\n", svc, k, v }
  /^[^ #]/ { in_services = ($0 ~ /^services:/); svc = ""; next }
  !in_services { next }
  /^  [a-z0-9-]+:[ ]*$/ { svc = $1; sub(/:$/, "", svc); section = ""; next }
  svc == "" { next }
  /^    [a-z_<]/ { section = "" }
  /^    <<: \*/ { v = $0; sub(/^    <<: \*/, "", v); emit("kind", v); next }
  /^    command: / { v = $0; sub(/^    command: /, "", v); emit("command", v); next }
  /^    environment:[ ]*$/ { section = "env"; next }
  /^    healthcheck:[ ]*$/ { section = "health"; next }
  /^    depends_on:[ ]*$/ { section = "deps"; next }
  section == "env" && /^      [A-Za-z_][A-Za-z0-9_]*: / {
    k = $1; sub(/:$/, "", k); v = $0; sub(/^      [^:]*: /, "", v); emit("env", k "=" v); next }
  section == "health" && /^      test: / { v = $0; sub(/^      test: /, "", v); emit("test", v); next }
  section == "deps" && /^      [a-z0-9-]+:[ ]*$/ { dep = $1; sub(/:$/, "", dep); next }
  section == "deps" && /^        condition: / { emit("dep", dep "=" $2); next }
' "$compose")

declare -A kind cmd test_of env_of deps_of
services=()
while IFS=$'\t' read -r svc key value; do
  [ -n "$svc" ] || continue
  case $key in
    kind) kind[$svc]=$value; services+=("$svc") ;;
    command) cmd[$svc]=$value ;;
    test) test_of[$svc]=$value ;;
    env) env_of[$svc]+="$value"$'\n' ;;
    dep) deps_of[$svc]+="$value ";;
  esac
done <<<"$parsed"

# parse_seq '["a", "b c"]' sets SEQ=(a "b c"): a YAML flow sequence of
# double-quoted strings.
parse_seq() {
  local s=$1 re='^[[:space:]]*"(([^"\\]|\\.)*)"[[:space:]]*(,(.*))?$' item
  SEQ=()
  s=${s#"${s%%[![:space:]]*}"}
  [[ $s == \[*\] ]] || die "compose.yaml: expected a flow sequence, got: $1"
  s=${s:1:${#s}-2}
  while [[ $s =~ $re ]]; do
    item=${BASH_REMATCH[1]}
    local more=${BASH_REMATCH[3]}
    s=${BASH_REMATCH[4]}
    item=${item//\\\"/\"}
    item=${item//\\\\/\\}
    SEQ+=("$item")
    [ -n "$more" ] || { s=""; break; }
  done
  [[ -z ${s//[[:space:]]/} ]] || die "compose.yaml: cannot parse the sequence: $1"
}

# interpolate VALUE: compose's ${NAME:-default}; any other $ is refused
# rather than silently run differently from compose.
interpolate() {
  local v=$1 re='^\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}$'
  if [[ $v =~ ^\"(.*)\"$ ]]; then v=${BASH_REMATCH[1]}; fi
  if [[ $v =~ $re ]]; then
    local name=${BASH_REMATCH[1]} def=${BASH_REMATCH[2]}
    v=${!name:-$def}
  elif [[ $v == *'$'* ]]; then
    die "compose.yaml: unsupported interpolation in $1"
  fi
  printf '%s' "$v"
}

# localize STRING: container paths and addresses to local ones (table above).
localize() {
  local s=$1 n
  s=${s//'$$'/@DOLLAR@}
  [[ $s != *'$'* ]] || die "compose.yaml: a command uses a single \$ (compose would interpolate it; write \$\$): $1"
  s=${s//\/usr\/local\/bin\/xanode/@BIN@}
  s=${s//\/pki/@PKI@}
  s=${s//\/data/@DATA@}
  s=${s//\/seed/@SEED@}
  s=${s//172.30.89./127.0.0.}
  for n in 1 2 3 4 5 6 7 8 9; do s=${s//\/\/city-$n:/\/\/127.0.0.1$n:}; done
  s=${s//0.0.0.0:/127.0.0.20:}
  s=${s//\/\/localhost:/\/\/127.0.0.20:}
  s=${s//@BIN@/$bin}
  s=${s//@PKI@/$tmp\/pki}
  s=${s//@DATA@/$tmp\/data}
  s=${s//@SEED@/$tmp\/seed}
  s=${s//@DOLLAR@/\$}
  printf '%s' "$s"
}

# ---- check the parse against the order ----------------------------------
[ ${#services[@]} -gt 0 ] || die "no services parsed from $compose"
if [ "$(printf '%s\n' "${services[@]}" | sort)" != "$(printf '%s\n' "${order[@]}" | sort)" ]; then
  die "the services of compose.yaml (${services[*]}) are not those this script runs (${order[*]}): update order= in $0"
fi
declare -A position
for i in "${!order[@]}"; do position[${order[$i]}]=$i; done
for svc in "${order[@]}"; do
  [ -n "${cmd[$svc]:-}" ] || die "compose.yaml: service $svc has no one-line command:"
  case ${kind[$svc]} in tools|node) ;; *) die "compose.yaml: service $svc uses <<: *${kind[$svc]}, want *tools or *node" ;; esac
  for d in ${deps_of[$svc]:-}; do
    dep=${d%%=*} cond=${d#*=}
    [ -n "${position[$dep]:-}" ] || die "compose.yaml: $svc depends on unknown service $dep"
    [ "${position[$dep]}" -lt "${position[$svc]}" ] || die "order: $svc must come after $dep (depends_on)"
    case $cond in
      service_completed_successfully) [ "${kind[$dep]}" = tools ] || die "compose.yaml: $svc waits for $dep to complete, but $dep keeps running" ;;
      service_healthy) [ -n "${test_of[$dep]:-}" ] || die "compose.yaml: $svc waits for $dep to be healthy, but $dep has no healthcheck" ;;
      service_started) ;;
      *) die "compose.yaml: unknown condition $cond" ;;
    esac
  done
done

# ---- set up ---------------------------------------------------------------
if [ $dry_run = 1 ]; then
  tmp="${TMPDIR:-/tmp}/xanode-compose.XXXXXX" # shown, never created
  bin=${XANODE_BIN:-$tmp/xanode}
  for svc in "${order[@]}"; do
    if [ "${kind[$svc]}" = tools ]; then
      parse_seq "${cmd[$svc]}"
      [ ${#SEQ[@]} = 1 ] || die "compose.yaml: tools service $svc must have one script string"
      printf '%-10s one-shot   %s\n' "$svc" "$(localize "${SEQ[0]}")"
    else
      parse_seq "${cmd[$svc]}"
      line=$bin
      for a in "${SEQ[@]}"; do line+=" $(printf '%q' "$(localize "$a")")"; done
      printf '%-10s long-run   %s\n' "$svc" "$line"
    fi
    [ -z "${test_of[$svc]:-}" ] || { parse_seq "${test_of[$svc]}"; printf '%-10s healthchk  %s\n' "$svc" "$(localize "${SEQ[*]:1}")"; }
    [ -z "${env_of[$svc]:-}" ] || printf '%-10s env        %s\n' "$svc" "$(tr '\n' ' ' <<<"${env_of[$svc]}")"
  done
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xanode-compose.XXXXXX")
bin=${XANODE_BIN:-$tmp/xanode}
mkdir -p "$tmp/pki" "$tmp/data" "$tmp/seed" "$tmp/logs"
chmod 0700 "$tmp/pki" "$tmp/data" "$tmp/seed"

declare -A pid_of
running=()
cleanup() {
  local rc=$? p svc
  trap - EXIT INT TERM
  for svc in "${running[@]}"; do
    kill -TERM "${pid_of[$svc]}" 2>/dev/null || true
  done
  for svc in "${running[@]}"; do
    p=${pid_of[$svc]}
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${XANODE_KEEP:-}" = 1 ]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

if [ -z "${XANODE_BIN:-}" ]; then
  say "building xanode"
  (cd "$repo" && go build -o "$bin" ./node/cmd/xanode) >"$tmp/logs/build.log" 2>&1 || die "go build" "$tmp/logs/build.log"
fi
[ -x "$bin" ] || die "no executable xanode at $bin"

# wait_for SECONDS SVC DESCRIPTION COMMAND...: runs COMMAND until it
# succeeds; fails when SVC (if set) has exited or the time is up.
wait_for() {
  local limit=$1 svc=$2 what=$3
  shift 3
  local deadline=$((SECONDS + limit))
  until "$@" >>"$tmp/logs/wait.log" 2>&1; do
    if [ -n "$svc" ] && ! kill -0 "${pid_of[$svc]}" 2>/dev/null; then
      die "$svc exited while waiting for: $what" "$tmp/logs/$svc.log"
    fi
    [ $SECONDS -lt $deadline ] || die "timed out after ${limit}s waiting for: $what" "$tmp/logs/${svc:-wait}.log"
    sleep 0.5
  done
}

# A city node's /readyz needs no client certificate; /v1/status is read
# with the monitor certificate, as compose's health checks and a Prometheus
# scraper do.
city_curl() {
  curl -fsS --max-time 5 --cacert "$tmp/pki/root.crt" "$@"
}
monitor_curl() {
  curl -fsS --max-time 5 --cacert "$tmp/pki/root.crt" --cert "$tmp/pki/monitor.crt" --key "$tmp/pki/monitor.key" "$@"
}

# arg_after FLAG ARGS...: the value following FLAG.
arg_after() {
  local flag=$1
  shift
  while [ $# -gt 1 ]; do
    [ "$1" = "$flag" ] && { printf '%s' "$2"; return; }
    shift
  done
}

city_apis=()
edge_addr=""

for svc in "${order[@]}"; do
  log=$tmp/logs/$svc.log
  # compose's environment: for this service only.
  envs=()
  while IFS= read -r kv; do
    [ -n "$kv" ] || continue
    envs+=("${kv%%=*}=$(interpolate "${kv#*=}")")
  done <<<"${env_of[$svc]:-}"
  parse_seq "${cmd[$svc]}"
  if [ "${kind[$svc]}" = tools ]; then
    [ ${#SEQ[@]} = 1 ] || die "compose.yaml: tools service $svc must have one script string"
    script=$(localize "${SEQ[0]}")
    say "$svc (one-shot)"
    # like the tools image's WORKDIR /seed
    (cd "$tmp/seed" && exec env ${envs[@]+"${envs[@]}"} timeout 180 bash -c "$script") >"$log" 2>&1 &
    p=$!
    wait "$p" || die "$svc failed (exit $?)" "$log"
    continue
  fi
  args=()
  for a in "${SEQ[@]}"; do args+=("$(localize "$a")"); done
  say "$svc: xanode ${args[*]}"
  # like the image's WORKDIR /data; newest first, so cleanup stops the
  # edge before the city nodes
  (cd "$tmp/data" && exec env ${envs[@]+"${envs[@]}"} "$bin" "${args[@]}") >"$log" 2>&1 &
  pid_of[$svc]=$!
  running=("$svc" ${running[@]+"${running[@]}"})
  if [ -n "${test_of[$svc]:-}" ]; then
    parse_seq "${test_of[$svc]}"
    [ "${SEQ[0]}" = CMD ] || die "compose.yaml: $svc healthcheck must be exec form [\"CMD\", ...]"
    hc=()
    for a in "${SEQ[@]:1}"; do hc+=("$(localize "$a")"); done
    wait_for 120 "$svc" "$svc healthcheck" timeout 5 "${hc[@]}"
  fi
  if [ "${args[0]}" = city ]; then
    api=$(arg_after --api "${args[@]}")
    city_apis+=("$api")
    wait_for 60 "$svc" "$svc https://$api/readyz" city_curl -o /dev/null "https://$api/readyz"
    say "$svc ready"
  elif [ "${args[0]}" = edge ]; then
    edge_addr=$(arg_after --listen "${args[@]}")
  fi
done

# ---- checks ---------------------------------------------------------------
field() { # field NAME JSON: a number or string field of a flat JSON object
  local re="\"$1\":(\"([^\"]*)\"|([0-9]+))"
  [[ $2 =~ $re ]] || return 1
  printf '%s' "${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
}

cluster_converged() {
  local api st first="" voters
  for api in "${city_apis[@]}"; do
    st=$(monitor_curl "https://$api/v1/status") || return 1
    voters=$(field voters "$st") || return 1
    [ "$voters" = "${#city_apis[@]}" ] || return 1
    [ "$(field citizens "$st")" -gt 0 ] || return 1
    local key
    key="$(field applied_index "$st") $(field state_digest "$st") $(field citizens "$st")"
    [ -z "$first" ] && first=$key
    [ "$key" = "$first" ] || return 1
  done
  echo "$first" >"$tmp/cluster.txt"
}
say "waiting for ${#city_apis[@]} voters with equal applied_index and state_digest"
wait_for 60 "" "city nodes converged" cluster_converged
read -r applied digest city_citizens <"$tmp/cluster.txt"
say "cluster: ${#city_apis[@]} voters, applied_index $applied, citizens $city_citizens, state_digest ${digest:0:16}…"

[ -n "$edge_addr" ] || die "no edge service with --listen in compose.yaml"
wait_for 120 edge "edge http://$edge_addr/readyz (verified subset)" curl -fsS --max-time 5 -o /dev/null "http://$edge_addr/readyz"
edge_ready() {
  local st
  st=$(curl -fsS --max-time 5 "http://$edge_addr/v1/status") || return 1
  echo "$st" >"$tmp/edge.json"
  [ "$(field citizens "$st")" -gt 0 ]
}
wait_for 30 edge "edge /v1/status citizens > 0" edge_ready
edge_status=$(cat "$tmp/edge.json")
edge_citizens=$(field citizens "$edge_status")
say "edge: $(field node_id "$edge_status"), subset_version $(field subset_version "$edge_status"), citizens $edge_citizens"
[ "$edge_citizens" = "$city_citizens" ] || die "the edge holds $edge_citizens citizens, the city $city_citizens (one commune: they should be equal)" "$tmp/logs/edge.log"

# The emulated card's holder must be a resident of the generated commune.
card_id=$(grep -o -- '--id [0-9]\{12\}' <<<"${cmd[cards]}" | head -n1 | cut -d' ' -f2)
[ -n "$card_id" ] || die "compose.yaml: cannot find --id in the cards command"
grep -q "\"id\":\"$card_id\"" "$tmp/seed/pop.jsonl" || die "card $card_id is not a resident of the generated population: update the cards service"
say "card $card_id is a resident of the subset"

# The officer account the officer service made at the city (in raft, not
# on the box) reached the edge inside the signed bundle: it logs in.
officer_user=$(grep -o -- '--user [a-z0-9._-]*' <<<"${cmd[officer]}" | head -n1 | cut -d' ' -f2)
officer_password=""
while IFS= read -r kv; do
  [ "${kv%%=*}" = XANODE_PASSWORD ] && officer_password=$(interpolate "${kv#*=}")
done <<<"${env_of[officer]:-}"
[ -n "$officer_user" ] && [ -n "$officer_password" ] || die "compose.yaml: cannot find the officer service's --user and XANODE_PASSWORD"
jar=$tmp/cookies.txt
csrf=$(curl -fsS --max-time 5 -c "$jar" -b "$jar" "http://$edge_addr/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//') || true
[ -n "$csrf" ] || die "no login form at http://$edge_addr/login" "$tmp/logs/edge.log"
login=$(curl -sS --max-time 10 -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
  --data-urlencode "csrf=$csrf" --data-urlencode "next=/" --data-urlencode "user=$officer_user" \
  --data-urlencode "password=$officer_password" "http://$edge_addr/login") || true
[[ $login == "303 "* && $login != *"/login"* ]] || die "officer $officer_user (a city account) cannot log in at the edge: $login" "$tmp/logs/edge.log"
say "officer $officer_user, a city account, logs in at the edge"

# ---- stop: edge first, then the city nodes; each must exit cleanly ---------
stopping=("${running[@]}")
for svc in "${stopping[@]}"; do
  p=${pid_of[$svc]}
  kill -TERM "$p"
  rc=0
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    die "$svc did not stop within 15 s of SIGTERM" "$tmp/logs/$svc.log"
  fi
  wait "$p" || rc=$?
  [ $rc = 0 ] || die "$svc exited with status $rc on SIGTERM" "$tmp/logs/$svc.log"
  running=("${running[@]:1}")
done
say "all stopped cleanly; passed in $((SECONDS - start))s"
