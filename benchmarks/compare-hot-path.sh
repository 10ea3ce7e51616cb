#!/usr/bin/env bash
# The hot path before and after a change, measured in the same run: builds the benchmarks jar at
# BASE_REF (from `git archive`, in a temporary directory) and from the working tree, then runs the
# JMH HotPathBenchmark from both jars, interleaved (before, after, after, before, ... one fork each),
# with -prof gc for B/op, and writes the figures and the after/before ratios into the section
# "Hot path: before vs after" of docs/BENCHMARKS.md (replaced on every run; benchmarks/run.sh keeps it).
#
#   benchmarks/compare-hot-path.sh [BASE_REF]            full: 3 rounds, 1 and 2 threads, 2 x 1 s warm-up, 4 x 1 s
#   benchmarks/compare-hot-path.sh --smoke [BASE_REF]    1 round, 1 thread, 1 x 0.5 s warm-up, 2 x 0.5 s: checks it works
#
# BASE_REF defaults to f926616 (the last commit before the issue-10 redesign). Only benchmarks that
# exist in both jars are compared (JMH's -l of each). tokenkeeperRedisNearCache runs only when Redis
# answers on 127.0.0.1:6379 (or REDIS_URL, a loopback redis:// URI). Environment overrides:
# ROUNDS, THREADS ("1 2"), WARMUPS, ITERATIONS, ITERATION_TIME (e.g. 1s), BENCH (a regex of
# method names; default: the floor and every tokenkeeper benchmark).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
root="$(pwd)"
mode=full
base=""
for a in "$@"; do
  case "$a" in
    --smoke) mode=smoke ;;
    -*) echo "usage: benchmarks/compare-hot-path.sh [--smoke] [BASE_REF]" >&2; exit 2 ;;
    *) [[ -z "$base" ]] || { echo "one BASE_REF only" >&2; exit 2; }; base="$a" ;;
  esac
done
base="${base:-f926616}"
if [[ $mode == smoke ]]; then
  : "${ROUNDS:=1}" "${THREADS:=1}" "${WARMUPS:=1}" "${ITERATIONS:=2}" "${ITERATION_TIME:=500ms}"
else
  : "${ROUNDS:=3}" "${THREADS:=1 2}" "${WARMUPS:=2}" "${ITERATIONS:=4}" "${ITERATION_TIME:=1s}"
fi
: "${BENCH:=floor|tokenkeeper.*}"

base_rev="$(git rev-parse --short=12 "$base^{commit}")"
after_rev="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- . ':!docs/BENCHMARKS.md' || echo '+local changes')"
work="$(mktemp -d "${TMPDIR:-/tmp}/tk-hotpath.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log() { echo "[compare-hot-path] $*" >&2; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average: $load_before (a busy machine gives meaningless figures)"

# ---------------------------------------------------------------- build both jars
build() { # $1 source dir, $2 destination dir
  (cd "$1" && ./mvnw -q -B -ntp -pl benchmarks -am package -DskipTests)
  mkdir -p "$2"
  cp "$1/benchmarks/target/tokenkeeper-benchmarks.jar" "$2/"
  cp -r "$1/benchmarks/target/lib" "$2/"
}
log "building the benchmarks at $base ($base_rev)"
mkdir -p "$work/src-before"
git archive "$base_rev" | tar -x -C "$work/src-before"
build "$work/src-before" "$work/before"
rm -rf "$work/src-before"
log "building the benchmarks from the working tree ($after_rev)"
build "$root" "$work/after"

# ---------------------------------------------------------------- what both have
list() { java -cp "$1/tokenkeeper-benchmarks.jar" org.openjdk.jmh.Main -l 2>/dev/null \
  | sed -n 's/^.*HotPathBenchmark\.\([A-Za-z0-9_]*\)$/\1/p' | sort -u; }
redis="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_host="$(sed -E 's#^rediss?://([^@/]*@)?([^:/]+).*#\2#' <<<"$redis")"
redis_port="$(sed -nE 's#^rediss?://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$redis")"
redis_args=()
if [[ $redis_host =~ ^(127\.[0-9.]+|localhost|::1)$ ]] && (exec 3<>"/dev/tcp/$redis_host/${redis_port:-6379}") 2>/dev/null; then
  redis_args=(-jvmArgsAppend "-Dtokenkeeper.bench.redis=$redis")
  redis_note="Redis at $redis_host:${redis_port:-6379}"
else
  redis_note="no Redis on loopback: tokenkeeperRedisNearCache not run"
fi
common="$(comm -12 <(list "$work/before") <(list "$work/after") | grep -E "^($BENCH)\$" || true)"
if [[ ${#redis_args[@]} -eq 0 ]]; then
  common="$(grep -v '^tokenkeeperRedisNearCache$' <<<"$common" || true)"
fi
only="$(comm -3 <(list "$work/before") <(list "$work/after") | tr -d '\t' | grep -E "^($BENCH)\$" | tr '\n' ' ' || true)"
[[ -n "$common" ]] || { log "no benchmark matching '$BENCH' exists in both jars"; exit 1; }
log "comparing: $(tr '\n' ' ' <<<"$common")${only:+ (in one jar only, not compared: $only)}"
regex="HotPathBenchmark\\.($(paste -sd'|' <<<"$common"))\$"

# ---------------------------------------------------------------- interleaved runs
run() { # $1 side, $2 threads, $3 round
  local out="$work/$1-t$2-r$3.csv"
  log "round $3, $2 thread(s): $1"
  java -Xms1g -Xmx1g -Duser.language=en -Duser.country=US -cp "$work/$1/tokenkeeper-benchmarks.jar" \
    org.openjdk.jmh.Main "$regex" -f 1 -wi "$WARMUPS" -w "$ITERATION_TIME" -i "$ITERATIONS" -r "$ITERATION_TIME" \
    -t "$2" -prof gc -rf csv -rff "$out" ${redis_args[@]+"${redis_args[@]}"} >"$work/$1-t$2-r$3.log" 2>&1 \
    || { tail -40 "$work/$1-t$2-r$3.log" >&2; exit 1; }
}
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for ((r = 1; r <= ROUNDS; r++)); do
  for t in $THREADS; do
    if ((r % 2)); then run before "$t" "$r"; run after "$t" "$r"; else run after "$t" "$r"; run before "$t" "$r"; fi
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- the table, computed from the CSVs
# JMH CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"; the gc
# profiler adds rows named <benchmark>:gc.alloc.rate.norm (B/op).
table="$(for f in "$work"/*-t*-r*.csv; do
  side="$(basename "$f" | cut -d- -f1)"
  tail -n +2 "$f" | sed "s/^/$side,/"
done | awk -F, '
  { gsub(/"/, ""); side = $1; name = $2; threads = $4; score = $6 + 0
    sub(/^.*HotPathBenchmark\./, "", name) }
  name ~ /gc\.alloc\.rate\.norm$/ {
    sub(/[^A-Za-z0-9_]+gc\.alloc\.rate\.norm$/, "", name); k = name SUBSEP threads
    if (!((side, k) in bytes) || score > bytes[side, k]) bytes[side, k] = score; next }
  name ~ /^[A-Za-z0-9_]+$/ {
    k = name SUBSEP threads; keys[k] = 1; n[side, k]++; sum[side, k] += score
    if (!((side, k) in lo) || score < lo[side, k]) lo[side, k] = score
    if (!((side, k) in hi) || score > hi[side, k]) hi[side, k] = score }
  END {
    for (k in keys) {
      split(k, p, SUBSEP)
      if (!n["before", k] || !n["after", k]) continue
      b = sum["before", k] / n["before", k]; a = sum["after", k] / n["after", k]
      printf "| `%s` | %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | **%.2f** | %.2f | %.2f |\n", p[1], p[2],
        b, lo["before", k], hi["before", k], a, lo["after", k], hi["after", k], a / b, bytes["before", k], bytes["after", k]
    }
  }' | sort -t'|' -k3,3n -k2,2)"
[[ -n "$table" ]] || { log "no results parsed"; exit 1; }
verdict="$(awk -F'|' '$2 ~ /tokenkeeper/ {
    gsub(/[ *]/, "", $6); gsub(/ /, "", $8); r = $6 + 0; bo = $8 + 0
    if (!seen++ || r > worst) worst = r; if (bo > maxb) maxb = bo }
  END { if (seen) printf "tokenkeeper benchmarks: worst after/before ratio %.2f; largest allocation after %.2f B/op.", worst, maxb }' <<<"$table")"

section="$(cat <<EOF
<!-- hot-path-comparison:begin (written by benchmarks/compare-hot-path.sh; do not edit) -->
## Hot path: before vs after (JMH, same run)

Written by \`benchmarks/compare-hot-path.sh $*\` (mode **$mode**) at $started. Before: \`$base\` = $base_rev;
after: $after_rev. Both jars ran interleaved in one session (rounds alternate which side goes first),
$ROUNDS round(s) × 1 fork per side, $WARMUPS × $ITERATION_TIME warm-up, $ITERATIONS × $ITERATION_TIME measurement, \`-prof gc\`; $redis_note.
Load average before: $load_before; after: $load_after (1, 5, 15 min).$([[ $mode == smoke ]] && printf '\n\n**Smoke run: these figures only show that the comparison works; they measure nothing.**')

| Benchmark | Threads | before ns/op, mean (min–max of rounds) | after ns/op, mean (min–max) | after/before | before B/op | after B/op |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
$table

$verdict
${only:+Not compared (in one jar only): $only
}<!-- hot-path-comparison:end -->
EOF
)"

doc=docs/BENCHMARKS.md
mkdir -p docs
touch "$doc"
if grep -q '^<!-- hot-path-comparison:begin' "$doc"; then
  awk -v section="$section" '
    /^<!-- hot-path-comparison:begin/ { print section; skip = 1; next }
    /^<!-- hot-path-comparison:end/ { skip = 0; next }
    !skip' "$doc" >"$work/doc" && cat "$work/doc" >"$doc"
else
  printf '\n%s\n' "$section" >>"$doc"
fi
echo "$section"
log "written to $doc"
