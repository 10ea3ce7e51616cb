#!/usr/bin/env bash
# Runs every tokenkeeper benchmark with fixed, documented parameters and writes docs/BENCHMARKS.md.
#
#   benchmarks/run.sh           the real measurement (about 14 min on 2 cores); run it on a quiet machine
#   benchmarks/run.sh --smoke   a ~2 min smoke run that checks everything works; its figures mean nothing
#   benchmarks/compare-hot-path.sh [BASE_REF]   the JMH hot path before (BASE_REF) vs after (this work
#                               tree) in one interleaved run; its section of docs/BENCHMARKS.md survives run.sh
#
# What it runs (see docs/BENCHMARKS.md for the figures and method):
#   1. JMH hot path, 1 and 2 threads, -prof gc: floor (AtomicReference + nanoTime), tokenkeeper
#      (memory store; Redis store, near-cache hit), Caffeine, Spring Security authorize(),
#      google-auth getRequestMetadata(). Full: the judged rows (floor, tokenkeeper keyed and bound) 4 forks
#      (3 with 2 threads), each 2 x 1 s warm-up and 6 x 1 s measurement; the peers 1 fork of 1 x 1 s
#      warm-up and 3 x 1 s.
#   2. Stampede: 4 instances x 4 threads, 5 s tokens, 3 lifetimes, IdP latency 50 ms, a call every
#      1 ms per thread; tokenkeeper (memory, Redis, PostgreSQL), Spring, google-auth, Caffeine.
#   3. Outage: the same, with the IdP answering 503 from 1.2 to 1.6 lifetimes into the run.
#   4. Redis fan-out: 1, 4 and 16 instances x 2 threads sharing one Redis.
#   5. Probes: miss-path latency, store path (near-cache miss served from Redis/PostgreSQL/H2),
#      store save/load latency (memory, H2, PostgreSQL, Redis).
#   6. Command line: cached `token` and `status` through runnable/target/tokenkeeper (a process each),
#      interleaved with a trivial JVM that reads a file and prints it.
#   7. Many keys: 1,000,000 distinct keys through a 100,000-key near cache (heap after GC every
#      100,000), bytes per resident key, the sweep's idle CPU with 1,000 and 100,000 keys.
#   8. Sidecar: /token/{client} under 64 keep-alive connections vs /health/live of the same server.
#   9. Injecting proxy: the same GET to a loopback upstream, direct and through a proxy route (~30 s).
#
# Starts nothing and talks to nothing but 127.0.0.1: the token endpoint is an in-process loopback
# server; Redis (127.0.0.1:6379 or REDIS_URL) and PostgreSQL (127.0.0.1:5432/test as postgres, or
# JDBC_URL/JDBC_USER/JDBC_PASSWORD) are used only if they already run on a loopback address;
# otherwise their rows are skipped with a note in the report.
set -euo pipefail

cd "$(dirname "$0")/.."
args=()
mode=full
for a in "$@"; do
  case "$a" in
    --smoke) args+=(--smoke); mode=smoke ;;
    *) echo "usage: benchmarks/run.sh [--smoke]" >&2; exit 2 ;;
  esac
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine gives meaningless figures)"
# builds the module and what it depends on from this work tree (tests skipped: this is not a test run)
# (benchmarks depends on runnable: this also writes runnable/target/tokenkeeper, the launcher section 6 times)
./mvnw -q -pl benchmarks -am package -DskipTests

mkdir -p docs benchmarks/target
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+local changes')"
# the whole run is bounded: JMH by its iteration counts, the simulations by their deadlines, and this
timeout --signal=TERM --kill-after=30s 20m \
  java -Xms1g -Xmx1g -jar benchmarks/target/tokenkeeper-benchmarks.jar "${args[@]}" \
    --out docs/BENCHMARKS.md --command "benchmarks/run.sh $*" --revision "$revision" \
  2>&1 | tee "benchmarks/target/benchmarks-$mode.log"
echo "log: benchmarks/target/benchmarks-$mode.log"
