#!/usr/bin/env bash
# Start a real single-node SLURM (Debian packages): munge, MariaDB, slurmdbd (accounting),
# slurmctld, slurmd. Idempotent: running daemons (by their pid files) are left alone.
# Exit status 0 once `sinfo` shows an idle node; non-zero (with the logs) otherwise.
# Needs root and apt on a Debian/Ubuntu machine. Stop everything with .ci/slurm/down.sh.
# Recipe and rationale: docs/sweeps.md ("Testing against a real SLURM").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${FEEDLAB_SLURM_STATE:-/tmp/feedlab-slurm}"
MARK="# feedlab-ci"
DBPASS="feedlab-ci"

say() { echo "slurm/up: $*" >&2; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local t="$1" what="$2"; shift 2
  for _ in $(seq 1 $((t * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  say "timed out waiting for $what"; return 1
}
fail() {
  say "$*"
  for log in "$STATE"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root"

# 1. packages
need=()
for bin in munged slurmctld slurmd slurmdbd sinfo mariadbd; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$bin")
done
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${need[*]} and no apt-get to install them"
  say "installing SLURM, munge and MariaDB from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge slurmdbd mariadb-server >/dev/null \
    || fail "apt-get install failed"
fi

# 2. configuration (never overwrite a configuration this script did not write)
mkdir -p /etc/slurm "$STATE/state" "$STATE/slurmd" /run/munge /run/mysqld
for f in slurm.conf slurmdbd.conf; do
  if [ -f "/etc/slurm/$f" ] && ! head -n 1 "/etc/slurm/$f" | grep -q "^$MARK"; then
    fail "/etc/slurm/$f exists and was not written by this script; not touching it"
  fi
done
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
sed -e "s|@STATE@|$STATE|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM_MB@|$mem_mb|g" \
  "$HERE/slurm.conf.in" > /etc/slurm/slurm.conf
sed -e "s|@STATE@|$STATE|g" -e "s|@DBPASS@|$DBPASS|g" \
  "$HERE/slurmdbd.conf.in" > /etc/slurm/slurmdbd.conf
chmod 644 /etc/slurm/slurm.conf
chmod 600 /etc/slurm/slurmdbd.conf

# 3. daemons, in dependency order
chown munge:munge /run/munge
if ! alive /run/munge/munged.pid; then
  [ -s /etc/munge/munge.key ] || { /usr/sbin/mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; }
  runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
fi
wait_for 10 "munge" bash -c "munge -n | unmunge" || fail "munge does not work"

chown mysql:mysql /run/mysqld
if ! alive /run/mysqld/mariadb.pid; then
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null || fail "mariadb-install-db failed"
  fi
  setsid /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock \
    --pid-file=/run/mysqld/mariadb.pid --bind-address=127.0.0.1 >"$STATE/mariadb.log" 2>&1 &
fi
wait_for 60 "MariaDB" mariadb -e "select 1" || fail "MariaDB did not start"
mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;" \
  || fail "could not create the accounting database user"

if ! alive "$STATE/slurmdbd.pid"; then slurmdbd || fail "slurmdbd did not start"; fi
wait_for 30 "slurmdbd" bash -c "exec 3<>/dev/tcp/127.0.0.1/6819" || fail "slurmdbd is not listening"
if ! alive "$STATE/slurmctld.pid"; then slurmctld -c || fail "slurmctld did not start"; fi
wait_for 30 "slurmctld" scontrol ping || fail "slurmctld does not answer"
if ! alive "$STATE/slurmd.pid"; then slurmd -N localhost || fail "slurmd did not start"; fi

idle() { sinfo -h -N -t idle -o %N | grep -q .; }
wait_for 60 "an idle node" idle || fail "no idle node (sinfo: $(sinfo 2>&1 | tr '\n' ' '))"
say "SLURM is up: $(sinfo -h -o '%P %a %D %t' | tr '\n' ' ')"
