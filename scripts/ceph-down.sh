#!/bin/bash
# Stop the mini cluster started by ceph-up.sh (by PID only), then wipe its dir.
D=${CEPH_DIR:-/tmp/cairn-ceph}
pids=$(cat "$D"/run/*.pid 2>/dev/null)
[ -n "$pids" ] && kill $pids 2>/dev/null
for i in $(seq 1 20); do alive=0; for p in $pids; do [ "$(ps -o stat= -p $p 2>/dev/null | cut -c1)" ] && [ "$(ps -o stat= -p $p | cut -c1)" != Z ] && alive=1; done; [ $alive = 0 ] && break; sleep 0.5; done
[ $alive = 1 ] && kill -9 $pids 2>/dev/null
rm -rf "$D"
