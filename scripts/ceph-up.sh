#!/bin/bash
# Minimal single-node Ceph (1 mon, 1 memstore OSD, no mgr) + radosgw, no systemd, no auth.
# Settings: CEPH_DIR, RGW_PORT (7480), MON_PORT (3300), MEMSTORE_BYTES (1 GiB of RAM for the OSD).
set -euo pipefail
D=${CEPH_DIR:-/tmp/cairn-ceph}
PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-3300}
rm -rf "$D"; mkdir -p "$D"/{mon,osd0,rgw,run,log}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
run dir = $D/run
pid file = $D/run/\$name.pid
ms mon client mode = crc
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-1073741824}
osd data = $D/osd0
mon data = $D/mon
osd max object name len = 460
osd max object namespace len = 64
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
CONF
export CEPH_CONF="$D/ceph.conf"
monmaptool --create --clobber --add a v2:127.0.0.1:$MON_PORT --fsid "$FSID" "$D/monmap" >/dev/null
ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
ceph-mon -i a                                  # daemonizes; pid in $D/run/mon.a.pid
OSD_ID=$(ceph osd create)                      # -> 0
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$(cat /proc/sys/kernel/random/uuid)" 2>/dev/null
ceph osd crush add "osd.$OSD_ID" 1.0 host=localhost root=default >/dev/null 2>&1 || true
ceph-osd -i "$OSD_ID"
radosgw -n client.rgw
for i in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/" >/dev/null || { echo "rgw not up"; tail -30 "$D/log/client.rgw.log"; exit 1; }
radosgw-admin user create --uid=test --display-name=test --access-key=TESTKEY --secret=TESTSECRET >/dev/null
echo "RGW up on http://127.0.0.1:$PORT (TESTKEY/TESTSECRET)"
