#!/bin/sh
# Scenario 3 (a CLI whose token survives restarts and re-authenticates with stored credentials):
# the token comes from a JSON login API (POST {"username","password"} -> token JSON), is kept in the
# sealed token file across CLI processes, is refreshed with its refresh token, and when the server
# refuses that (invalid_grant) tokenkeeper logs in again with the stored credentials, silently.
#
# Needs `tokenkeeper` on PATH and:
#   LOGIN_URL       the login API, e.g. https://server/api/auth/login
#   TOKEN_URL       where refresh tokens go (an OAuth token endpoint); leave it out of the
#                   configuration to log in again instead of refreshing
#   CIDX_USER, CIDX_PASSWORD   the stored credentials (the password only ever in the environment)
#   WORK            a directory for the configuration and the token file
set -eu
: "${LOGIN_URL:?}" "${TOKEN_URL:?}" "${CIDX_USER:?}" "${CIDX_PASSWORD:?}" "${WORK:?}"

export TOKENKEEPER_HOME="$WORK/home"
cat > "$WORK/tokenkeeper.properties" <<PROPERTIES
clients.cidx.login-url=$LOGIN_URL
clients.cidx.token-url=$TOKEN_URL
clients.cidx.login-username=$CIDX_USER
clients.cidx.login-password-env=CIDX_PASSWORD
# the seed's policy: 3 attempts, exponential backoff (factor 2) up to 60 s, Retry-After up to 60 s
resilience.retry=exponential
resilience.attempts=3
resilience.retry-base-delay=1s
resilience.retry-max-delay=60s
resilience.retry-factor=2
resilience.retry-after-max=60s
PROPERTIES
tk() { tokenkeeper --config "$WORK/tokenkeeper.properties" "$@"; }

# 1. the first command logs in (process 1)
first=$(tk token --client cidx)

# 2. this login answers with a 2-second token: wait it out (a real wait, in a shell script: the
#    processes have no clock to move), then the next command refreshes; the server refuses the
#    refresh token (invalid_grant) and tokenkeeper logs in again on its own (process 2)
sleep 3
second=$(tk token --client cidx)
[ "$second" != "$first" ] || { echo "example 3: the expired token was served" >&2; exit 1; }

# 3. a restart changes nothing: the new token comes from the token file (process 3)
third=$(tk token --client cidx)
[ "$third" = "$second" ] || { echo "example 3: the token did not survive the restart" >&2; exit 1; }
tk status --client cidx
echo "example 3: logged in, re-authenticated after invalid_grant, token kept across processes"
