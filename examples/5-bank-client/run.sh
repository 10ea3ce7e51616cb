#!/bin/sh
# Scenario 5 (a bank-API client with a cache, a 60-300 s buffer and logged refreshes):
# a client-credentials token cached across calls and refreshed 5 minutes (300 s) before it expires,
# every acquisition logged; `status` shows when the refresh will happen.
#
# Needs `tokenkeeper` on PATH and:
#   OAUTH_TOKEN_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET   the bank's client credentials
#   WORK                                                    a directory for the token file
set -eu
: "${OAUTH_TOKEN_URL:?}" "${OAUTH_CLIENT_ID:?}" "${OAUTH_CLIENT_SECRET:?}" "${WORK:?}"

export TOKENKEEPER_HOME="$WORK/home"
# exactly a 300 s buffer: no fraction of the lifetime on top (default 20 %), no jitter
export TOKENKEEPER_REFRESH_AHEAD=300s TOKENKEEPER_REFRESH_AHEAD_FRACTION=0 TOKENKEEPER_JITTER=0

tokenkeeper -v token >/dev/null     # logs "token acquired ..." on standard error
tokenkeeper -v token >/dev/null     # served from the cache: nothing to log
tokenkeeper status --json           # refresh_at = expires_at - 30 s clock skew - 300 s
echo "example 5: cached, refresh point shown"
