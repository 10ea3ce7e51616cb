package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;


/** The ways an identity provider is down, each applied to a running {@link FakeIdp}. */
enum Outage {
    /** Nothing listens any more: every connection is refused. The server cannot come back. */
    CONNECTION_REFUSED {
        @Override
        void begin(FakeIdp idp) {
            idp.close();
        }
    },
    /** The server accepts the request and never answers. */
    HANG {
        @Override
        void begin(FakeIdp idp) {
            idp.alwaysRespond(Response.hang());
        }
    },
    /** The server answers 503. */
    SERVICE_UNAVAILABLE {
        @Override
        void begin(FakeIdp idp) {
            idp.alwaysRespond(Response.json(503, "{\"error\":\"temporarily_unavailable\"}"));
        }
    };

    abstract void begin(FakeIdp idp);

    /** Whether requests still reach the server (and so can be counted there). */
    boolean countable() {
        return this != CONNECTION_REFUSED;
    }
}
