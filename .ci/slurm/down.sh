#!/usr/bin/env bash
# Stop the single-node SLURM that .ci/slurm/up.sh started: each daemon by the pid in its
# pid file, in the order slurmd, slurmctld, slurmdbd, MariaDB, munged (never by name).
# Idempotent: a daemon that is not running is skipped. Exit status 0 unless a daemon
# refused to stop.
set -uo pipefail
STATE="${FEEDLAB_SLURM_STATE:-/tmp/feedlab-slurm}"
status=0

stop() {  # stop NAME PIDFILE
  local name="$1" pidfile="$2" pid
  [ -s "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if ! kill -0 "$pid" 2>/dev/null; then rm -f "$pidfile"; return 0; fi
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm/down: $name ($pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
    sleep 1
  fi
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm/down: could not stop $name ($pid)" >&2
    status=1
  else
    rm -f "$pidfile"
    echo "slurm/down: stopped $name ($pid)" >&2
  fi
}

stop slurmd "$STATE/slurmd.pid"
stop slurmctld "$STATE/slurmctld.pid"
stop slurmdbd "$STATE/slurmdbd.pid"
stop mariadb /run/mysqld/mariadb.pid
stop munged /run/munge/munged.pid
exit "$status"
