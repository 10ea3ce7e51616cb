#!/bin/sh
# Scenario 1 (a Rust-style token manager with externally obtained tokens):
# a token pair that a login UI or another tool obtained is imported into tokenkeeper, then served
# and refreshed with the refresh-token grant, and kept across processes in the sealed token file.
#
# Needs `tokenkeeper` on PATH and:
#   TOKEN_URL, CLIENT_ID                   the (public) client the refresh token was issued to: it
#                                          holds no secret (auth-method=none)
#   LOGIN_ACCESS_TOKEN, LOGIN_REFRESH_TOKEN what the login UI handed over
#   WORK                                   a directory for the configuration and the token file
#   ALLOW_HTTP=true                        only for a loopback test IdP on plain http
set -eu
: "${TOKEN_URL:?}" "${CLIENT_ID:?}" "${LOGIN_ACCESS_TOKEN:?}" "${LOGIN_REFRESH_TOKEN:?}" "${WORK:?}"

export TOKENKEEPER_HOME="$WORK/home"   # the sealed token file (0700 directory, 0600 files)
cat > "$WORK/tokenkeeper.properties" <<PROPERTIES
clients.axiom.token-url=$TOKEN_URL
clients.axiom.client-id=$CLIENT_ID
clients.axiom.auth-method=none
clients.axiom.allow-insecure-http=${ALLOW_HTTP:-false}
# the seed's two thresholds: expired 5 min before the server's expiry, refresh-due 15 min before
refresh.clock-skew=5m
refresh.ahead=10m
PROPERTIES
tk() { tokenkeeper --config "$WORK/tokenkeeper.properties" "$@"; }

# 1. import (process 1): the JSON goes in on standard input, never on the command line. Its access
#    token is already spent (expires_at in the past); its refresh token is still good.
printf '{"access_token":"%s","refresh_token":"%s","expires_at":"2020-01-01T00:00:00Z"}' \
    "$LOGIN_ACCESS_TOKEN" "$LOGIN_REFRESH_TOKEN" | tk import --client axiom

# 2. a token (process 2): the spent access token is refreshed with the imported refresh token
first=$(tk token --client axiom)

# 3. a token again (process 3): served from the token file, no request to the IdP
second=$(tk token --client axiom)
if [ "$first" != "$second" ]; then
    echo "example 1: the third process did not reuse the refreshed token" >&2
    exit 1
fi
[ "$first" != "$LOGIN_ACCESS_TOKEN" ] || { echo "example 1: the spent token was served" >&2; exit 1; }

# 4. is_expired / needs_refresh, and the refresh point, without the token
tk status --client axiom --json
echo "example 1: imported, refreshed once, reused across processes"
