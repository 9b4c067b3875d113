#!/bin/sh
# The whole test suite, from a fresh machine: prerequisites, dependencies, the compiled binary, then
# every test (unit tests beside the code in src/, integration and end-to-end tests in test/).
set -eu
cd "$(dirname "$0")/.."
sh test/prereqs.sh
bun install --frozen-lockfile >/dev/null
bun run build >/dev/null
exec bun test "$@"
