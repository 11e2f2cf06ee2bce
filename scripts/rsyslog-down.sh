#!/usr/bin/env bash
# Stop the rsyslogd started by scripts/rsyslog-up.sh for RSYSLOG_DIR, by its pidfile only: TERM, then
# KILL after 5 s. Leaves the directory (received messages, CA) to the caller. Prints nothing unless
# something fails; stopping one that is not running is not an error.
set -uo pipefail
D=${RSYSLOG_DIR:-/tmp/cairn-rsyslog}
PIDFILE="$D/rsyslogd.pid"
[ -f "$PIDFILE" ] || exit 0
pid=$(cat "$PIDFILE" 2>/dev/null)
case "$pid" in '' | *[!0-9]*) rm -f "$PIDFILE"; exit 0 ;; esac

alive() { [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; }
# Only an rsyslogd: a stale pidfile may name a pid that now belongs to something else.
if alive && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = rsyslogd ]; then
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do alive || break; sleep 0.05; done
  if alive; then
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 40); do alive || break; sleep 0.05; done
  fi
  alive && { echo "rsyslog-down: rsyslogd (pid $pid) did not stop" >&2; exit 1; }
fi
rm -f "$PIDFILE"
exit 0
