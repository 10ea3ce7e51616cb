#!/usr/bin/env bash
# Prepares the Keycloak the integration tests use (test-support dev.tokenkeeper.testsupport.keycloak.Keycloak):
# fetches org.keycloak:keycloak-quarkus-dist:26.7.3:zip from Maven Central with the Maven wrapper and
# unpacks it into ${TOKENKEEPER_CACHE:-~/.cache/tokenkeeper}/keycloak-26.7.3. The first test that
# needs Keycloak starts it from there (start-dev on 127.0.0.1:18080 and :18443, with a test CA it
# makes) and later test JVMs reuse it. `bash .ci/keycloak.sh stop` stops a server the tests started.
set -euo pipefail
cd "$(dirname "$0")/.."
version=26.7.3
cache="${TOKENKEEPER_CACHE:-$HOME/.cache/tokenkeeper}"
home="$cache/keycloak-$version"

if [ "${1:-}" = stop ]; then
  for pidfile in "$cache"/keycloak-"$version"-run-*/pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # kc.sh execs java; stop the process the harness started (and its children)
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  exit 0
fi

if [ -x "$home/bin/kc.sh" ]; then
  echo "[keycloak] distribution ready in $home"
  exit 0
fi
mkdir -p "$cache"
./mvnw -B -ntp -q dependency:copy -Dartifact=org.keycloak:keycloak-quarkus-dist:$version:zip \
  -DoutputDirectory="$cache" -Dmdep.overWriteIfNewer=true
tmp=$(mktemp -d "$cache/unpack.XXXXXX")
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$cache/keycloak-quarkus-dist-$version.zip" -d "$tmp"
else
  (cd "$tmp" && jar xf "$cache/keycloak-quarkus-dist-$version.zip")
  chmod +x "$tmp/keycloak-$version"/bin/*.sh
fi
mv "$tmp/keycloak-$version" "$home"
rmdir "$tmp"
rm -f "$cache/keycloak-quarkus-dist-$version.zip"
jdk=/usr/lib/jvm/temurin-25-jdk-amd64
[ -x "$jdk/bin/java" ] || echo "[keycloak] note: $jdk is missing; Keycloak $version needs Java 21+ (set KEYCLOAK_JAVA_HOME)"
echo "[keycloak] distribution ready in $home"
