#!/usr/bin/env bash
# The whole test suite: type check (strict), lint, then every *.test.ts with node's test runner.
# PostgreSQL catalog tests use CAIRN_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
# S3 tests use CAIRN_TEST_S3_ENDPOINT (keys CAIRN_TEST_S3_ACCESS_KEY/_SECRET_KEY, default TESTKEY/TESTSECRET);
# when it is unset, a private Ceph RADOS Gateway is started here (scripts/ceph-up.sh, data in RAM, free
# ports) and stopped on exit. CAIRN_TEST_FILES="a.test.ts b.test.ts" runs only those files.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAIRN_TEST_PG_URL="${CAIRN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

if [ -z "${CAIRN_TEST_S3_ENDPOINT:-}" ]; then
  missing=()
  for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: the S3 tests need Ceph (missing: ${missing[*]}); install it with" >&2
    echo "  apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd" >&2
    echo "or point CAIRN_TEST_S3_ENDPOINT at a running S3 server with Object Lock." >&2
    exit 1
  fi
  ceph_dir=$(mktemp -d /tmp/cairn-test-ceph.XXXXXX)
  stop_ceph() { CEPH_DIR="$ceph_dir" bash scripts/ceph-down.sh >/dev/null 2>&1 || true; }
  trap stop_ceph EXIT
  rgw_port=$(free_port)
  mon_port=$(free_port)
  if ! CEPH_DIR="$ceph_dir" RGW_PORT="$rgw_port" MON_PORT="$mon_port" bash scripts/ceph-up.sh >"$ceph_dir.log" 2>&1; then
    echo "test.sh: Ceph did not start; its output:" >&2
    tail -n 40 "$ceph_dir.log" >&2
    exit 1
  fi
  rm -f "$ceph_dir.log"
  export CAIRN_TEST_S3_ENDPOINT="http://127.0.0.1:$rgw_port"
  export CAIRN_TEST_S3_ACCESS_KEY=TESTKEY CAIRN_TEST_S3_SECRET_KEY=TESTSECRET
  echo "test.sh: Ceph RGW for the S3 tests on $CAIRN_TEST_S3_ENDPOINT"
fi

npx tsc -p tsconfig.json --noEmit
npx biome check .
npm run --silent build
if [ -n "${CAIRN_TEST_FILES:-}" ]; then
  read -r -a files <<<"$CAIRN_TEST_FILES"
else
  mapfile -t files < <(find src test -name '*.test.ts' | sort)
fi
# Not exec: the trap above stops Ceph when the tests end.
status=0
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" || status=$?
exit "$status"
