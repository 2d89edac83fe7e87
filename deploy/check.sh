#!/usr/bin/env bash
# Checks the deployment files without a running systemd or container engine
# (CI containers have neither as PID 1 / daemon):
#
#   - systemd units: `systemd-analyze verify` in a temporary root holding the
#     units, the distribution's own units and a placeholder /usr/local/bin/xanode
#     (nothing is written outside that root); any warning counts as a problem;
#     the optional drop-ins too where systemd knows their keys (>= 254);
#   - hardening: `systemd-analyze security --offline` exposure at most 2.0;
#   - sysusers.d and tmpfiles.d snippets: applied to the temporary root;
#   - every variable that an ExecStart= line uses is set in the env example;
#   - compose.yaml: `docker compose config -q` where the docker client has
#     the compose plugin (skipped with a message otherwise), and always the
#     parse of deploy/run-like-compose.sh --dry-run (services, commands,
#     depends_on order);
#   - prometheus/: `promtool check rules alerts.yml` and `promtool check
#     config prometheus.yml` (its certificate paths pointed at placeholder
#     files) where promtool is installed (Debian: prometheus), skipped with
#     a message otherwise; always, that the scrape configuration holds the
#     monitor certificate and never the admin one;
#   - the shell scripts parse (bash -n).
#
# Exits non-zero on any problem. `deploy/check.sh --run` also runs
# deploy/run-like-compose.sh (builds the binary, starts the processes).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
run_full=0
case "${1:-}" in
  --run) run_full=1 ;;
  "") ;;
  *) echo "usage: $0 [--run]" >&2; exit 2 ;;
esac

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; }
skip() { skipped=$((skipped + 1)); echo "skip  $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xanode-deploy-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# check NAME COMMAND...: runs COMMAND; any output or a non-zero exit fails.
check() {
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    bad "$name (exit $rc)"
    [ -z "$out" ] || sed 's/^/      /' <<<"$out"
    return 1
  fi
  ok "$name"
}

# ---- systemd ---------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing systemd (for systemd-analyze; it is not started)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd) >"$tmp/apt.log" 2>&1 \
    || { cat "$tmp/apt.log"; }
fi

if ! command -v systemd-analyze >/dev/null; then
  bad "systemd-analyze not found (install the systemd package)"
else
  root=$tmp/root
  mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
  printf '#!/bin/sh\nexit 0\n' >"$root/usr/local/bin/xanode"
  chmod 0755 "$root/usr/local/bin/xanode"
  # The distribution's units (sysinit.target, network-online.target,
  # pcscd.socket if installed), so that dependencies resolve.
  for d in /usr/lib/systemd/system /lib/systemd/system; do
    if [ -d "$d" ] && [ ! -e "$root/usr/lib/systemd/system/sysinit.target" ]; then
      cp -a "$d" "$root/usr/lib/systemd/"
    fi
  done
  cp "$here"/systemd/xanode-city.service "$here"/systemd/xanode-edge.service "$root/etc/systemd/system/"
  units=(xanode-city.service xanode-edge.service)

  check "systemd-analyze verify ${units[*]}" \
    systemd-analyze verify --root="$root" --man=no "${units[@]}"

  version=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
  if [ "${version%%.*}" -ge 254 ] 2>/dev/null; then
    for u in "${units[@]}"; do
      mkdir -p "$root/etc/systemd/system/$u.d"
      cp "$here"/systemd/dropins/*.conf "$root/etc/systemd/system/$u.d/"
    done
    check "systemd-analyze verify with the drop-ins" \
      systemd-analyze verify --root="$root" --man=no "${units[@]}"
  else
    skip "drop-ins (systemd/dropins/*.conf) need systemd >= 254, this is $version"
  fi

  for u in "${units[@]}"; do
    if out=$(systemd-analyze security --offline=true --root="$root" --threshold=20 --no-pager "$u" 2>&1); then
      ok "systemd-analyze security $u: $(grep -o 'exposure level for [^:]*: [0-9.]*' <<<"$out" | sed 's/.*: //')"
    else
      bad "systemd-analyze security $u (exposure above 2.0, or not supported here)"
      grep -E '✗|Overall|[Ee]rror|[Uu]nknown' <<<"$out" | sed 's/^/      /'
    fi
  done

  uroot=$tmp/users
  mkdir -p "$uroot/etc" "$uroot/usr/lib/sysusers.d" "$uroot/usr/lib/tmpfiles.d"
  cp "$here/systemd/xanode.sysusers.conf" "$uroot/usr/lib/sysusers.d/xanode.conf"
  cp "$here/systemd/xanode.tmpfiles.conf" "$uroot/usr/lib/tmpfiles.d/xanode.conf"
  if out=$(systemd-sysusers --root="$uroot" xanode.conf 2>&1) && grep -q '^xanode:' "$uroot/etc/passwd" \
    && ! grep -v '^Creating ' <<<"$out" | grep -q .; then
    ok "sysusers.d: creates user xanode"
  else
    bad "sysusers.d: $out"
  fi
  if [ "$(id -u)" != 0 ]; then
    skip "tmpfiles.d (needs root to chown)"
  else
    out=$(systemd-tmpfiles --root="$uroot" --create xanode.conf 2>&1)
    rc=$?
    uid=$(awk -F: '$1 == "xanode" { print $3 }' "$uroot/etc/passwd" 2>/dev/null)
    want="700 $uid 700 $uid 700 $uid"
    got=$(stat -c '%a %u' "$uroot/etc/xanode/pki" "$uroot/var/lib/xanode/city" "$uroot/var/lib/xanode/edge" 2>&1 | tr '\n' ' ')
    if [ $rc -eq 0 ] && [ -z "$out" ] && [ -n "$uid" ] && [ "${got% }" = "$want" ]; then
      ok "tmpfiles.d: /etc/xanode/pki and /var/lib/xanode/{city,edge} 0700 xanode"
    else
      bad "tmpfiles.d (exit $rc): $out; modes and owners: $got (want $want)"
    fi
  fi
fi

# ---- ExecStart variables are set in the env examples ------------------------
for pair in city:xanode-city.service edge:xanode-edge.service; do
  envfile=$here/systemd/${pair%%:*}.env.example
  unit=$here/systemd/${pair#*:}
  missing=""
  for var in $(grep '^ExecStart=' "$unit" | grep -o '\${\?[A-Z_][A-Z0-9_]*' | tr -d '${' | sort -u); do
    grep -q "^$var=" "$envfile" || missing+=" $var"
  done
  if [ -z "$missing" ]; then
    ok "${pair#*:}: every ExecStart variable is in $(basename "$envfile")"
  else
    bad "${pair#*:}: $(basename "$envfile") does not set:$missing"
  fi
done

# ---- compose ------------------------------------------------------------------
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  check "docker compose config -q" docker compose -f "$here/container/compose.yaml" config -q
else
  skip "docker compose config: no docker client with the compose plugin here"
fi
if out=$(bash "$here/run-like-compose.sh" --dry-run 2>&1); then
  ok "compose.yaml parses for run-like-compose.sh ($(wc -l <<<"$out") lines of commands)"
else
  bad "run-like-compose.sh --dry-run"
  sed 's/^/      /' <<<"$out"
fi

# ---- prometheus ---------------------------------------------------------------
prom=$here/prometheus
if grep -q 'cert_file: .*/monitor\.crt' "$prom/prometheus.yml" && grep -q 'key_file: .*/monitor\.key' "$prom/prometheus.yml" \
  && ! grep -Eq '(admin|city-[0-9]+)\.(crt|key)' "$prom/prometheus.yml"; then
  ok "prometheus.yml scrapes city nodes with the monitor certificate"
else
  bad "prometheus.yml must scrape with monitor.crt/monitor.key, never an admin or city-node certificate"
fi
if command -v promtool >/dev/null; then
  check "promtool check rules alerts.yml" sh -c "promtool check rules '$prom/alerts.yml' >/dev/null"
  mkdir -p "$tmp/prom"
  cp "$prom/alerts.yml" "$tmp/prom/"
  touch "$tmp/prom/root.crt" "$tmp/prom/monitor.crt" "$tmp/prom/monitor.key"
  sed "s#/etc/prometheus/xanode/#$tmp/prom/#" "$prom/prometheus.yml" >"$tmp/prom/prometheus.yml"
  check "promtool check config prometheus.yml" sh -c "promtool check config '$tmp/prom/prometheus.yml' >/dev/null"
else
  skip "promtool check rules/config: no promtool here (Debian package prometheus)"
fi

for s in "$here/check.sh" "$here/run-like-compose.sh"; do
  check "bash -n $(basename "$s")" bash -n "$s"
done

if [ $run_full = 1 ]; then
  if bash "$here/run-like-compose.sh"; then ok "run-like-compose.sh"; else bad "run-like-compose.sh"; fi
fi

echo "deploy: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
