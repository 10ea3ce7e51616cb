#!/bin/sh
# Scenario 2 (a service spec: a generic HTTP client, a token cache and an OAuth service):
# the sidecar holds a client-credentials token, shared through a MariaDB token store; the retry
# strategy is chosen in configuration (exponential with the spec's 50-100 % jitter); an IdP that
# omits token_type is read as Bearer; callers read one client's status in the spec's shape.
#
# Needs `tokenkeeper` and curl on PATH and:
#   OAUTH_TOKEN_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET   the spec's three variables
#   JDBC_URL          e.g. jdbc:mariadb://127.0.0.1:3306/test (user and password in it, or none)
#   SEALING_KEY       a key from `tokenkeeper config keygen`
#   SIDECAR_PORT      a free loopback port
#   WORK              a directory for the configuration and the logs
set -eu
: "${OAUTH_TOKEN_URL:?}" "${OAUTH_CLIENT_ID:?}" "${OAUTH_CLIENT_SECRET:?}" "${JDBC_URL:?}" "${SEALING_KEY:?}"
: "${SIDECAR_PORT:?}" "${WORK:?}"

export TOKENKEEPER_SEALING_KEYS="$SEALING_KEY"
cat > "$WORK/tokenkeeper.properties" <<PROPERTIES
# the spec's retry settings: OAUTH_RETRY_STRATEGY=exponential, 3 attempts, 1 s base, 60 s cap, factor 2, jitter
resilience.retry=exponential
resilience.attempts=3
resilience.retry-base-delay=1s
resilience.retry-max-delay=60s
resilience.retry-factor=2
resilience.retry-jitter=equal
# the spec's expiration buffer: refresh 5 minutes early
refresh.ahead=5m
# its "database backend": MariaDB, sealed entries
store.type=jdbc
store.url=$JDBC_URL
sidecar.port=$SIDECAR_PORT
PROPERTIES

tokenkeeper --config "$WORK/tokenkeeper.properties" serve >"$WORK/sidecar.log" 2>&1 &
sidecar=$!
trap 'kill $sidecar 2>/dev/null || true' EXIT INT TERM

# the sidecar warms its token at start; wait for it to say so (bounded)
status=""
for _ in $(seq 1 120); do
    status=$(curl -sf "http://127.0.0.1:$SIDECAR_PORT/auth/status/default" || true)
    case "$status" in *'"is_valid" : true'*|*'"is_valid":true'*) break ;; esac
    sleep 0.5
done
echo "$status"
case "$status" in *'"is_valid" : true'*|*'"is_valid":true'*) ;; *) echo "example 2: no valid token" >&2; exit 1 ;; esac
echo "example 2: token held, status in the spec's shape"
