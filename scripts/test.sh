#!/usr/bin/env bash
# The whole test suite: type check (strict), lint, then every *.test.ts with node's test runner.
# PostgreSQL catalog tests use CAIRN_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
export CAIRN_TEST_PG_URL="${CAIRN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
npx tsc -p tsconfig.json --noEmit
npx biome check .
npm run --silent build
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
