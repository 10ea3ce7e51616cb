package dev.tokenkeeper.integration.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract every authenticated HTTP client adapter meets, run against the real thing: a
 * loopback resource server that checks tokens ({@link ResourceServer}), a second origin for
 * redirects, the fake IdP as token endpoint and a real token manager (the bootstrap's
 * {@link Tokenkeeper}, memory store). An adapter's test extends this class and supplies a
 * {@link Driver} that sends requests through its client.
 *
 * <pre>{@code
 * class OkHttpContractTest extends AuthenticatedClientContractKit {
 *     protected Driver driver(TokenProvider tokens, TokenKey key) { ... }
 *     protected Driver driver(Tokenkeeper tokenkeeper, String client) { ... } // as an application builds it
 * }
 * }</pre>
 *
 * <p>The DPoP cases run a second configured client, {@value #DPOP_CLIENT}, with {@code dpop=true}:
 * the fake IdP binds its tokens to the key of the token request's proof, and the resource server
 * demands a valid proof for them (see {@link ResourceServer}).
 */
public abstract class AuthenticatedClientContractKit {

    /** A request the driver sends and the answer the caller got. */
    public record Reply(int status, String body) {}

    /** Sends requests through the client under test, which is authenticated with the given provider and key. */
    public interface Driver extends AutoCloseable {
        /** A GET to {@code uri}, redirects followed as the adapter does. */
        Reply get(URI uri) throws Exception;

        /**
         * A POST of {@code body} (text/plain) to {@code uri}; with {@code repeatable} false, a body
         * the client can send only once (a stream).
         */
        Reply post(URI uri, String body, boolean repeatable) throws Exception;

        @Override
        default void close() throws Exception {}
    }

    /** The configured client whose tokens are DPoP-bound ({@code clients.bound.dpop=true}). */
    public static final String DPOP_CLIENT = "bound";

    /** The driver for the client under test, sending with tokens for {@code key} from {@code tokens}. */
    protected abstract Driver driver(TokenProvider tokens, TokenKey key) throws Exception;

    /**
     * The driver for the client under test authenticated as the configured {@code client} of
     * {@code tokenkeeper}, built as an application builds it (for the integrations of
     * {@code AuthenticatedRequests}: from {@code tokenkeeper.requests(client)}), so that a DPoP-bound
     * client's proofs flow in.
     */
    protected abstract Driver driver(Tokenkeeper tokenkeeper, String client) throws Exception;

    /** Whether the client can send a body that cannot be sent again (some buffer every body). Default true. */
    protected boolean hasOneShotBodies() {
        return true;
    }

    protected FakeIdp idp;
    protected ResourceServer api;
    protected ResourceServer other;
    protected Tokenkeeper tokenkeeper;
    protected Driver client;

    @BeforeEach
    void startEverything() throws Exception {
        idp = FakeIdp.start();
        idp.issueTokens(Duration.ofHours(1)).bindDpopTokens(true);
        api = ResourceServer.start(token -> idp.issuedTokens().contains(token), idp::dpopProofOf);
        other = ResourceServer.start(token -> idp.issuedTokens().contains(token), idp::dpopProofOf);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("clients.api.token-url", idp.tokenUri().toString());
        settings.put("clients.api.client-id", "contract-kit");
        settings.put("clients.api.client-secret", "contract-kit-secret");
        settings.put("clients.api.allow-insecure-http", "true");
        settings.put("clients." + DPOP_CLIENT + ".token-url", idp.tokenUri().toString());
        settings.put("clients." + DPOP_CLIENT + ".client-id", "contract-kit-dpop");
        settings.put("clients." + DPOP_CLIENT + ".client-secret", "contract-kit-secret");
        settings.put("clients." + DPOP_CLIENT + ".allow-insecure-http", "true");
        settings.put("clients." + DPOP_CLIENT + ".dpop", "true");
        // the cases count token requests exactly: no retry of a token request that a loaded machine made slow
        settings.put("resilience.attempts", "1");
        settings.put("resilience.attempt-timeout", "30s");
        settings.put("resilience.deadline", "30s");
        tokenkeeper = Tokenkeeper.start(TokenkeeperConfig.from(Settings.of(settings)));
        client = driver(tokenkeeper.provider(), TokenKey.of("api"));
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {client, tokenkeeper, api, other, idp}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private static String to(URI target) {
        return URLEncoder.encode(target.toString(), StandardCharsets.UTF_8);
    }

    /** Warms the cache with one good call; returns the token it used. */
    private String warm() throws Exception {
        assertThat(client.get(api.uri("/api/warm")).status()).isEqualTo(200);
        assertThat(idp.issuedTokens()).hasSize(1);
        return idp.issuedTokens().get(0);
    }

    @Nested
    @DisplayName("the token")
    class TheToken {
        @Test
        @DisplayName("is added to a request")
        void is_added() throws Exception {
            Reply reply = client.get(api.uri("/api/orders"));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(idp.requestCount()).isEqualTo(1);
            assertThat(api.seen("/api/orders")).singleElement()
                    .extracting(ResourceServer.Seen::authorization).isEqualTo(bearer(idp.issuedTokens().get(0)));
        }

        @Test
        @DisplayName("comes from the cache on the next request")
        void is_reused() throws Exception {
            warm();
            assertThat(client.get(api.uri("/api/orders")).status()).isEqualTo(200);
            assertThat(idp.requestCount()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("a rejected token")
    class Rejected {
        @Test
        @DisplayName("is replaced after exactly one replay")
        void is_replaced_after_one_replay() throws Exception {
            String revoked = warm();
            api.revoke(revoked);

            Reply reply = client.get(api.uri("/api/orders"));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(idp.issuedTokens()).hasSize(2);
            assertThat(api.seen("/api/orders")).extracting(ResourceServer.Seen::authorization)
                    .containsExactly(bearer(revoked), bearer(idp.issuedTokens().get(1)));
        }

        @Test
        @DisplayName("is replaced and a repeatable body is sent again")
        void repeatable_body_is_replayed() throws Exception {
            api.revoke(warm());

            Reply reply = client.post(api.uri("/api/orders"), "{\"item\":42}", true);

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo("ok {\"item\":42}");
            assertThat(api.seen("/api/orders")).hasSize(2)
                    .extracting(ResourceServer.Seen::body).containsOnly("{\"item\":42}");
        }

        @Test
        @DisplayName("with a body that cannot be sent again is not replayed: the 401 reaches the caller")
        void non_repeatable_body_is_not_replayed() throws Exception {
            assumeTrue(hasOneShotBodies(), "this client buffers every body, so every body is repeatable");
            api.revoke(warm());

            Reply reply = client.post(api.uri("/api/orders"), "{\"item\":42}", false);

            assertThat(reply.status()).isEqualTo(401);
            assertThat(api.seen("/api/orders")).hasSize(1);
            // the rejected token was dropped all the same: the next request has a fresh one
            assertThat(client.get(api.uri("/api/later")).status()).isEqualTo(200);
            assertThat(idp.issuedTokens()).hasSize(2);
        }

        @Test
        @DisplayName("is replayed once only, even when the fresh token is refused too")
        void never_twice() throws Exception {
            warm();
            api.rejectEverything(true);

            Reply reply = client.get(api.uri("/api/orders"));

            assertThat(reply.status()).isEqualTo(401);
            assertThat(api.seen("/api/orders")).hasSize(2);
            assertThat(idp.issuedTokens()).hasSize(2);
        }

        @Test
        @DisplayName("by 32 concurrent requests causes one token request")
        void concurrent_rejections_one_refresh() throws Exception {
            api.revoke(warm());
            int n = 32;
            api.holdRejectionsUntil(n);
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Reply>> replies = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    replies.add(pool.submit(() -> {
                        start.await();
                        return client.get(api.uri("/api/together"));
                    }));
                }
                start.countDown();
                for (Future<Reply> r : replies) {
                    assertThat(r.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(api.seen("/api/together")).hasSize(2 * n);
            assertThat(idp.requestCount()).as("token requests: the warm-up's and one refresh").isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("a refusal that a new token would not change")
    class NotReplayed {
        @Test
        @DisplayName("403 insufficient_scope is not replayed")
        void forbidden() throws Exception {
            warm();

            Reply reply = client.get(api.uri("/admin"));

            assertThat(reply.status()).isEqualTo(403);
            assertThat(api.seen("/admin")).hasSize(1);
            assertThat(idp.requestCount()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("redirects")
    class RedirectRules {
        @Test
        @DisplayName("to another origin never carry the token")
        void cross_origin_never_carries_the_token() throws Exception {
            warm();

            Reply reply = client.get(api.uri("/hop?to=" + to(other.uri("/collect"))));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo("collected");
            assertThat(other.seen("/collect")).singleElement()
                    .extracting(ResourceServer.Seen::authorization).isNull();
        }

        @Test
        @DisplayName("within the addressed origin keep the token")
        void same_origin_keeps_the_token() throws Exception {
            String token = warm();

            Reply reply = client.get(api.uri("/hop?to=" + to(api.uri("/api/moved"))));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(api.seen("/api/moved")).singleElement()
                    .extracting(ResourceServer.Seen::authorization).isEqualTo(bearer(token));
        }

        @Test
        @DisplayName("never bring the token back once they left the addressed origin")
        void never_back_after_leaving() throws Exception {
            warm();
            URI back = api.uri("/api/back");

            Reply reply = client.get(api.uri("/hop?to=" + to(other.uri("/hop?to=" + to(back)))));

            assertThat(reply.status()).isEqualTo(401);
            assertThat(api.seen("/api/back")).singleElement()
                    .extracting(ResourceServer.Seen::authorization).isNull();
            assertThat(other.seen()).extracting(ResourceServer.Seen::authorization).containsOnlyNulls();
            assertThat(idp.requestCount()).as("another origin's answer says nothing about the token").isEqualTo(1);
        }

        @Test
        @DisplayName("another origin's 401 is the caller's answer, not a rejection of the token")
        void other_origins_401_is_not_a_rejection() throws Exception {
            warm();

            Reply reply = client.get(api.uri("/hop?to=" + to(other.uri("/deny"))));

            assertThat(reply.status()).isEqualTo(401);
            assertThat(other.seen("/deny")).hasSize(1);
            assertThat(idp.requestCount()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("a DPoP-bound token")
    class Dpop {
        private Driver bound;

        @BeforeEach
        void boundClient() throws Exception {
            bound = driver(tokenkeeper, DPOP_CLIENT);
        }

        @AfterEach
        void closeBoundClient() throws Exception {
            if (bound != null) {
                bound.close();
            }
        }

        private String warmBound() throws Exception {
            assertThat(bound.get(api.uri("/api/warm")).status()).isEqualTo(200);
            assertThat(idp.issuedTokens()).hasSize(1);
            String token = idp.issuedTokens().get(0);
            assertThat(idp.dpopProofOf(token)).as("the IdP bound the token to the client's key").isNotNull();
            return token;
        }

        private static String dpop(String token) {
            return "DPoP " + token;
        }

        @Test
        @DisplayName("goes as DPoP with a new, valid proof for each request")
        void a_proof_per_request() throws Exception {
            String token = warmBound();

            assertThat(bound.get(api.uri("/api/orders")).status()).isEqualTo(200);
            assertThat(bound.post(api.uri("/api/orders"), "{\"item\":7}", true).body()).isEqualTo("ok {\"item\":7}");

            List<ResourceServer.Seen> seen = api.seen("/api/orders");
            assertThat(seen).hasSize(2).allSatisfy(s -> {
                assertThat(s.authorization()).isEqualTo(dpop(token));
                assertThat(s.problem()).as("the resource server's verdict on the proof").isNull();
                assertThat(s.proof().htu()).isEqualTo(api.uri("/api/orders").toString());
            });
            assertThat(seen).extracting(s -> s.proof().htm()).containsExactly("GET", "POST");
            assertThat(api.seen()).extracting(s -> s.proof().jti()).doesNotHaveDuplicates();
            assertThat(idp.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("answers a nonce challenge once, with the nonce, without a new token; the nonce goes into the next proofs")
        void nonce_challenge() throws Exception {
            String token = warmBound();
            api.requireNonce("nonce-1");

            Reply reply = bound.get(api.uri("/api/orders"));

            assertThat(reply.status()).isEqualTo(200);
            List<ResourceServer.Seen> seen = api.seen("/api/orders");
            assertThat(seen).hasSize(2).extracting(ResourceServer.Seen::authorization).containsOnly(dpop(token));
            assertThat(seen.get(0).problem()).isEqualTo("use_dpop_nonce");
            assertThat(seen.get(1).problem()).isNull();
            assertThat(seen.get(1).proof().nonce()).isEqualTo("nonce-1");
            assertThat(idp.requestCount()).as("a nonce challenge is no verdict on the token").isEqualTo(1);

            assertThat(bound.get(api.uri("/api/later")).status()).isEqualTo(200);
            assertThat(api.seen("/api/later")).singleElement().satisfies(s -> {
                assertThat(s.proof().nonce()).isEqualTo("nonce-1");
                assertThat(s.problem()).isNull();
            });
        }

        @Test
        @DisplayName("is replaced after exactly one replay when revoked, with a fresh proof")
        void revoked_is_replaced() throws Exception {
            String revoked = warmBound();
            api.revoke(revoked);

            Reply reply = bound.get(api.uri("/api/orders"));

            assertThat(reply.status()).isEqualTo(200);
            assertThat(idp.issuedTokens()).hasSize(2);
            String fresh = idp.issuedTokens().get(1);
            List<ResourceServer.Seen> seen = api.seen("/api/orders");
            assertThat(seen).extracting(ResourceServer.Seen::authorization).containsExactly(dpop(revoked), dpop(fresh));
            assertThat(seen).extracting(ResourceServer.Seen::problem).containsOnlyNulls();
            assertThat(seen).extracting(s -> s.proof().jti()).doesNotHaveDuplicates();
        }

        @Test
        @DisplayName("neither it nor a proof goes to another origin on a redirect; within the origin each hop has its own proof")
        void redirects() throws Exception {
            String token = warmBound();

            Reply away = bound.get(api.uri("/hop?to=" + to(other.uri("/collect"))));
            Reply within = bound.get(api.uri("/hop?to=" + to(api.uri("/api/moved"))));

            assertThat(away.status()).isEqualTo(200);
            assertThat(other.seen("/collect")).singleElement().satisfies(s -> {
                assertThat(s.authorization()).isNull();
                assertThat(s.dpop()).isNull();
            });
            assertThat(within.status()).isEqualTo(200);
            assertThat(api.seen("/api/moved")).singleElement().satisfies(s -> {
                assertThat(s.authorization()).isEqualTo(dpop(token));
                assertThat(s.problem()).isNull();
                assertThat(s.proof().htu()).isEqualTo(api.uri("/api/moved").toString());
            });
        }
    }
}
