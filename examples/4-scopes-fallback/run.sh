#!/bin/sh
# Scenario 4 (a CLI with per-scope tokens, background refresh and an API-key fallback):
# each scope has its own cached token; when no token can be had at all, the CLI hands out the
# API key instead (a WARN line on standard error each time), never while a token can be had.
#
# Needs `tokenkeeper` on PATH and:
#   TOKEN_URL, CLIENT_ID, KM_CLIENT_SECRET   the OAuth client
#   KM_API_KEY                               the fallback API key (only ever in the environment)
#   WORK                                     a directory for the configuration and the token file
#   TAKE_IDP_DOWN                            a command that takes the IdP down, for the demo of step 3
#                                            (e.g. "docker stop idp"; the suite's test harness has its own)
set -eu
: "${TOKEN_URL:?}" "${CLIENT_ID:?}" "${KM_CLIENT_SECRET:?}" "${KM_API_KEY:?}" "${WORK:?}" "${TAKE_IDP_DOWN:?}"

export TOKENKEEPER_HOME="$WORK/home"
cat > "$WORK/tokenkeeper.properties" <<PROPERTIES
clients.km.token-url=$TOKEN_URL
clients.km.client-id=$CLIENT_ID
clients.km.client-secret-env=KM_CLIENT_SECRET
clients.km.fallback-api-key-env=KM_API_KEY
# the seed's settings: refresh 5 min early, check every minute, 30 s between retries, 3 attempts
refresh.ahead=5m
refresh.check-interval=1m
refresh.retry-interval=30s
resilience.attempts=3
resilience.retry-base-delay=100ms
PROPERTIES
tk() { tokenkeeper --config "$WORK/tokenkeeper.properties" "$@"; }

# 1. two scopes, two tokens (each process asks once)
monitoring=$(tk token --client km --scope monitoring)
plugins=$(tk token --client km --scope plugins)
[ "$monitoring" != "$plugins" ] || { echo "example 4: two scopes shared one token" >&2; exit 1; }

# 2. a later process gets the cached token of its scope, no request
again=$(tk token --client km --scope monitoring)
[ "$again" = "$monitoring" ] || { echo "example 4: the monitoring token was not reused" >&2; exit 1; }

# 3. the IdP goes down: a scope whose token is cached is still served its token...
sh -c "$TAKE_IDP_DOWN"
cached=$(tk token --client km --scope plugins)
[ "$cached" = "$plugins" ] || { echo "example 4: a cached token was not served during the outage" >&2; exit 1; }

# 4. ...but a scope without one gets the API key (WARN on standard error), as a header with --header
key=$(tk token --client km --scope admin)
[ "$key" = "$KM_API_KEY" ] || { echo "example 4: no fallback API key" >&2; exit 1; }
header=$(tk token --client km --scope admin --header)
[ "$header" = "X-API-Key: $KM_API_KEY" ] || { echo "example 4: the fallback header is wrong" >&2; exit 1; }

# 5. --debug shows every attempt, never a secret
tk --debug token --client km --scope reports >/dev/null
echo "example 4: two scopes, two tokens; API key only when no token could be had"
