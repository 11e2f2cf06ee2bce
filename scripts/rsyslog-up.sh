#!/usr/bin/env bash
# A private rsyslogd for the SIEM tests: RFC 5424 over plain TCP (octet-counted or LF framing) on
# RSYSLOG_TCP_PORT and over TLS (gtls netstream driver, anonymous client auth) on RSYSLOG_TLS_PORT,
# both on 127.0.0.1. Everything lives in RSYSLOG_DIR, which the caller owns:
#   ca.pem              the CA a client must trust (generated once, kept across restarts)
#   received.log        each message's raw text (%rawmsg%), one per line, appended across restarts
#   parsed.jsonl        rsyslog's own parse of the structured data (mmpstrucdata), one JSON per line
#   rsyslogd.pid        pid of the daemon; rsyslogd.out its own diagnostics
# Validates the config with `rsyslogd -N1`, starts the daemon, waits until both ports accept.
# Prints nothing unless something fails. Stop it with scripts/rsyslog-down.sh. RSYSLOGD overrides
# the daemon's path (default: rsyslogd on PATH, else /usr/sbin/rsyslogd).
set -euo pipefail
D=${RSYSLOG_DIR:-/tmp/cairn-rsyslog}
TCP_PORT=${RSYSLOG_TCP_PORT:-5514}
TLS_PORT=${RSYSLOG_TLS_PORT:-6514}
RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}

fail() { echo "rsyslog-up: $*" >&2; exit 1; }
[ -x "$RSYSLOGD" ] || fail "rsyslogd not found; install it: apt-get install -y --no-install-recommends rsyslog rsyslog-gnutls"
command -v openssl >/dev/null || fail "openssl not found; install it: apt-get install -y openssl"
mkdir -p "$D"
D=$(cd "$D" && pwd)

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -n "${1:-}" ] && [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
if [ -f "$D/rsyslogd.pid" ]; then
  pid=$(cat "$D/rsyslogd.pid" 2>/dev/null || true)
  alive "$pid" && fail "an rsyslogd (pid $pid) already runs for $D; stop it with scripts/rsyslog-down.sh"
  rm -f "$D/rsyslogd.pid"
fi
for port in "$TCP_PORT" "$TLS_PORT"; do
  accepts "$port" && fail "127.0.0.1:$port is already in use"
done

# Certificates: a CA and a server certificate for 127.0.0.1/localhost, made once per directory.
if [ ! -s "$D/cert.pem" ]; then
  (
    cd "$D"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -keyout ca-key.pem -out ca.pem -subj "/CN=Cairn test syslog CA"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout key.pem -out server.csr -subj "/CN=localhost"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
      'keyUsage=digitalSignature' 'extendedKeyUsage=serverAuth' >server-ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile server-ext.cnf -out cert.pem
  ) >"$D/openssl.log" 2>&1 || { cat "$D/openssl.log" >&2; fail "could not generate certificates in $D"; }
  chmod 600 "$D/ca-key.pem" "$D/key.pem"
fi

cat >"$D/rsyslog.conf" <<CONF
global(workDirectory="$D" maxMessageSize="64k")
module(load="imtcp")
module(load="mmpstrucdata")
input(type="imtcp" address="127.0.0.1" port="$TCP_PORT" ruleset="siem")
input(type="imtcp" address="127.0.0.1" port="$TLS_PORT" ruleset="siem"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.CAFile="$D/ca.pem" streamDriver.CertFile="$D/cert.pem" streamDriver.KeyFile="$D/key.pem")
template(name="raw" type="string" string="%rawmsg%\n")
template(name="sd" type="string" string="%\$!%\n")
ruleset(name="siem") {
  action(type="omfile" file="$D/received.log" template="raw")
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file="$D/parsed.jsonl" template="sd")
}
CONF

"$RSYSLOGD" -N1 -f "$D/rsyslog.conf" >"$D/validate.log" 2>&1 || {
  cat "$D/validate.log" >&2
  fail "rsyslogd -N1 rejected $D/rsyslog.conf (is rsyslog-gnutls installed?)"
}
# Without -n rsyslogd daemonizes once its inputs are set up; its stdio must not hold the caller's pipes.
"$RSYSLOGD" -f "$D/rsyslog.conf" -i "$D/rsyslogd.pid" </dev/null >>"$D/rsyslogd.out" 2>&1 ||
  { cat "$D/rsyslogd.out" >&2; fail "rsyslogd did not start"; }

for _ in $(seq 1 100); do
  accepts "$TCP_PORT" && accepts "$TLS_PORT" && exit 0
  sleep 0.05
done
tail -20 "$D/rsyslogd.out" >&2 2>/dev/null || true
fail "rsyslogd did not accept connections on 127.0.0.1:$TCP_PORT and :$TLS_PORT within 5 s"
