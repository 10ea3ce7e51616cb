package dev.tokenkeeper.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
import dev.tokenkeeper.domain.api.ProofOfPossession;
import dev.tokenkeeper.domain.api.Redirects;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The shared rules of an authenticated request, without a network: which answers reject, redirects, replay once. */
class AuthenticatedRequestsTest {

    private static final URI API = URI.create("https://api.example/orders");

    private static AccessToken token(String value) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new AccessToken(Secret.of(value), "bearer", now, now.plusSeconds(3600), Set.of(), null);
    }

    @Test
    void a_401_rejects_the_token_unless_its_challenge_names_another_error_and_a_403_never_does() {
        assertThat(AuthenticatedRequests.rejects(401, List.of())).isTrue();
        assertThat(AuthenticatedRequests.rejects(401, List.of("Bearer realm=\"api\""))).isTrue();
        assertThat(AuthenticatedRequests.rejects(401, List.of("Bearer realm=\"api\", error=\"invalid_token\""))).isTrue();
        assertThat(AuthenticatedRequests.rejects(401, List.of("Bearer error=\"insufficient_scope\""))).isFalse();
        assertThat(AuthenticatedRequests.rejects(403, List.of("Bearer error=\"invalid_token\""))).isFalse();
        assertThat(AuthenticatedRequests.rejects(403, List.of("Bearer error=\"insufficient_scope\""))).isFalse();
        assertThat(AuthenticatedRequests.rejects(200, List.of())).isFalse();
        assertThat(AuthenticatedRequests.rejects(400, List.of("Bearer error=\"invalid_token\""))).isTrue();
        assertThat(AuthenticatedRequests.rejects(400, List.of("Bearer error=\"invalid_request\""))).isFalse();
    }

    @Test
    void redirects_keep_the_origin_by_scheme_host_and_effective_port() {
        assertThat(Redirects.sameOrigin(API, URI.create("https://API.example:443/x"))).isTrue();
        assertThat(Redirects.sameOrigin(API, URI.create("http://api.example/x"))).isFalse();
        assertThat(Redirects.sameOrigin(API, URI.create("https://api.example:8443/x"))).isFalse();
        assertThat(Redirects.sameOrigin(API, URI.create("https://evil.example/x"))).isFalse();
        assertThat(Redirects.next(302, "/moved", API, "GET")).contains(
                new Redirects.Hop(URI.create("https://api.example/moved"), "GET", false));
        assertThat(Redirects.next(303, "/done", API, "POST")).get().extracting(Redirects.Hop::method).isEqualTo("GET");
        assertThat(Redirects.next(307, "/again", API, "GET")).get().extracting(Redirects.Hop::keepsBody).isEqualTo(true);
        assertThat(Redirects.next(302, "/moved", API, "POST")).isEmpty();
        assertThat(Redirects.next(302, "ftp://x.example/", API, "GET")).isEmpty();
        assertThat(Redirects.next(200, "/moved", API, "GET")).isEmpty();
    }

    @Test
    void the_header_value_is_built_from_the_token_and_never_shown() {
        Credentials c = Credentials.bearer(token("abc.def"));
        assertThat(c.authorization()).isEqualTo("Bearer abc.def");
        assertThat(c.headers()).containsEntry("Authorization", "Bearer abc.def");
        assertThat(c.toString()).doesNotContain("abc.def");
        assertThat(token("abc.def").authorizationValue()).isEqualTo("Bearer abc.def");
        assertThatThrownBy(() -> token("abc\r\nX-Evil: 1").authorizationValue())
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("abc");
    }

    private static AccessToken dpopToken(String value) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new AccessToken(Secret.of(value), "DPoP", now, now.plusSeconds(3600), Set.of(), null);
    }

    @Test
    void a_dpop_bound_token_is_refused_with_a_configuration_error_only_without_proofs() throws Exception {
        AccessToken dpop = dpopToken("dpop-bound-value");
        AuthenticatedRequests rules = AuthenticatedRequests.of(new Tokens(dpop, dpop), TokenKey.of("api"));
        List<String> sent = new ArrayList<>();

        assertThatThrownBy(() -> rules.execute("GET", API, true, new Exchange(sent, 200)))
                .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION))
                .hasMessageContaining("DPoP").hasMessageContaining("Tokenkeeper.requests").hasMessageNotContaining("dpop-bound-value");
        assertThatThrownBy(() -> rules.credentialsAsync("GET", API).toCompletableFuture().join())
                .hasCauseInstanceOf(TokenException.class);
        assertThat(sent).isEmpty();

        // with the key's proofs: Authorization: DPoP and a proof made for this request
        Proofs proofs = new Proofs();
        AuthenticatedRequests bound = AuthenticatedRequests.of(new Tokens(dpop), TokenKey.of("api"), proofs);
        Script script = new Script(new Answer(200, List.of(), true));
        assertThat(bound.execute("GET", API, true, script).status()).isEqualTo(200);
        assertThat(script.sent).singleElement().satisfies(h -> {
            assertThat(h).containsEntry("Authorization", "DPoP dpop-bound-value")
                    .containsEntry("DPoP", "proof#1 GET https://api.example/orders nonce=null");
        });
        Credentials c = bound.credentials("POST", API);
        assertThat(c.provesPossession()).isTrue();
        assertThat(c.at("GET", URI.create("https://api.example/moved")).headers())
                .containsEntry("DPoP", "proof#3 GET https://api.example/moved nonce=null");
        assertThat(c.toString()).doesNotContain("dpop-bound-value").doesNotContain("proof#");
        assertThat(dpop.authorizationValue()).isEqualTo("DPoP dpop-bound-value");
        assertThatThrownBy(() -> Credentials.bearer(dpop)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Credentials.dpop(dpop, "p").headers()).containsOnlyKeys("Authorization", "DPoP");
        // a Bearer token through rules with proofs is still Bearer, without a proof
        Script bearer = new Script(new Answer(200, List.of(), true));
        AuthenticatedRequests.of(new Tokens(token("plain")), TokenKey.of("api"), proofs).execute("GET", API, true, bearer);
        assertThat(bearer.sent).singleElement().isEqualTo(java.util.Map.of("Authorization", "Bearer plain"));
    }

    private static final String NONCE_CHALLENGE = "DPoP error=\"use_dpop_nonce\", error_description=\"fresh nonce\"";

    @Test
    void a_nonce_challenge_is_asked_by_a_401_with_the_nonce_and_use_dpop_nonce_only() {
        assertThat(ProofOfPossession.asksForNonce(401, "n1", List.of(NONCE_CHALLENGE))).isTrue();
        assertThat(ProofOfPossession.asksForNonce(401, null, List.of(NONCE_CHALLENGE))).isFalse();
        assertThat(ProofOfPossession.asksForNonce(400, "n1", List.of(NONCE_CHALLENGE))).isFalse();
        assertThat(ProofOfPossession.asksForNonce(401, "n1", List.of("DPoP error=\"invalid_token\""))).isFalse();
        assertThat(ProofOfPossession.asksForNonce(401, "n1", List.of("Bearer realm=\"api\""))).isFalse();
        // and it is no rejection of the token
        assertThat(AuthenticatedRequests.rejects(401, List.of(NONCE_CHALLENGE))).isFalse();
    }

    @Test
    void a_nonce_challenge_is_answered_once_with_the_nonce_keeping_the_token_and_the_nonce_is_remembered_per_origin()
            throws Exception {
        Tokens tokens = new Tokens(dpopToken("bound"));
        Proofs proofs = new Proofs();
        AuthenticatedRequests rules = AuthenticatedRequests.of(tokens, TokenKey.of("api"), proofs);
        Script script = new Script(new Answer(401, List.of(NONCE_CHALLENGE), true, "n1"), new Answer(200, List.of(), true));

        assertThat(rules.execute("GET", API, true, script).status()).isEqualTo(200);

        assertThat(script.sent).extracting(h -> h.get("DPoP")).containsExactly(
                "proof#1 GET https://api.example/orders nonce=null", "proof#2 GET https://api.example/orders nonce=n1");
        assertThat(script.sent).extracting(h -> h.get("Authorization")).containsOnly("DPoP bound");
        assertThat(script.discarded).isEqualTo(1);
        assertThat(tokens.invalidated).isEmpty();
        assertThat(tokens.asked).isEqualTo(1);
        // the origin's nonce goes into the next request's first proof; another origin's does not
        assertThat(rules.credentials("POST", URI.create("https://API.example:443/other")).headers().get("DPoP"))
                .endsWith("nonce=n1");
        assertThat(rules.credentials("GET", URI.create("https://elsewhere.example/x")).headers().get("DPoP"))
                .endsWith("nonce=null");
        // a nonce sent on a good answer is remembered too
        Script rotated = new Script(new Answer(200, List.of(), true, "n2"));
        rules.execute("GET", API, true, rotated);
        assertThat(rules.credentials("GET", API).headers().get("DPoP")).endsWith("nonce=n2");
        // but not one from another origin a redirect led to
        rules.execute("GET", API, true, new Script(new Answer(200, List.of(), false, "foreign")));
        assertThat(rules.credentials("GET", API).headers().get("DPoP")).endsWith("nonce=n2");
    }

    @Test
    void a_nonce_challenge_earns_one_retry_only_and_none_for_a_body_that_cannot_be_sent_again() throws Exception {
        Tokens tokens = new Tokens(dpopToken("bound"));
        AuthenticatedRequests rules = AuthenticatedRequests.of(tokens, TokenKey.of("api"), new Proofs());
        Answer challenge = new Answer(401, List.of(NONCE_CHALLENGE), true, "again");
        Script twice = new Script(challenge, challenge, new Answer(200, List.of(), true));

        assertThat(rules.execute("GET", API, true, twice).status()).isEqualTo(401);
        assertThat(twice.sent).hasSize(2);

        Script oneShot = new Script(challenge, new Answer(200, List.of(), true));
        assertThat(rules.execute("POST", API, false, oneShot).status()).isEqualTo(401);
        assertThat(oneShot.sent).hasSize(1);
        assertThat(tokens.invalidated).as("a nonce challenge is no verdict on the token").isEmpty();
    }

    @Test
    void after_a_nonce_retry_a_rejected_token_is_still_replaced_once_with_a_fresh_proof() throws Exception {
        Tokens tokens = new Tokens(dpopToken("first"), dpopToken("second"));
        AuthenticatedRequests rules = AuthenticatedRequests.of(tokens, TokenKey.of("api"), new Proofs());
        Script script = new Script(new Answer(401, List.of(NONCE_CHALLENGE), true, "n1"),
                new Answer(401, List.of("DPoP error=\"invalid_token\""), true), new Answer(200, List.of(), true));

        assertThat(rules.execute("GET", API, true, script).status()).isEqualTo(200);

        assertThat(script.sent).extracting(h -> h.get("Authorization")).containsExactly("DPoP first", "DPoP first", "DPoP second");
        assertThat(script.sent).extracting(h -> h.get("DPoP")).doesNotHaveDuplicates().last().asString().endsWith("nonce=n1");
        assertThat(tokens.invalidated).containsExactly("first");
    }

    @Test
    void the_asynchronous_form_answers_a_nonce_challenge_once_too() {
        Tokens tokens = new Tokens(dpopToken("bound"));
        AuthenticatedRequests rules = AuthenticatedRequests.of(tokens, TokenKey.of("api"), new Proofs());
        Script script = new Script(new Answer(401, List.of(NONCE_CHALLENGE), true, "n1"), new Answer(200, List.of(), true));

        Answer answer = rules.executeAsync("GET", API, true, script.async()).toCompletableFuture().join();

        assertThat(answer.status()).isEqualTo(200);
        assertThat(script.sent).extracting(h -> h.get("DPoP")).last().asString().endsWith("nonce=n1");
        assertThat(tokens.invalidated).isEmpty();
    }

    /** Signs nothing: a proof names its number, method, URI and nonce, so that the tests can read them. */
    private static final class Proofs implements ProofOfPossession {
        private final java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public java.util.Map<String, String> headers(String method, URI uri, AccessToken token, String nonce) {
            return java.util.Map.of(DPOP, "proof#" + made.incrementAndGet() + " " + method + " " + uri + " nonce=" + nonce);
        }
    }

    /** Answers each attempt with the next scripted answer; records the headers sent and the answers discarded. */
    private static final class Script implements AuthenticatedRequests.Exchange<Answer> {
        final List<java.util.Map<String, String>> sent = new ArrayList<>();
        final Answer[] answers;
        int discarded;

        Script(Answer... answers) {
            this.answers = answers;
        }

        @Override
        public Answer send(Attempt attempt) {
            sent.add(attempt.credentials().headers());
            return answers[Math.min(sent.size() - 1, answers.length - 1)];
        }

        @Override
        public Answer answer(Answer answer) {
            return answer;
        }

        @Override
        public void discard(Answer answer) {
            discarded++;
        }

        AuthenticatedRequests.AsyncExchange<Answer> async() {
            return new AuthenticatedRequests.AsyncExchange<>() {
                @Override
                public CompletionStage<Answer> send(Attempt attempt) {
                    return CompletableFuture.completedFuture(Script.this.send(attempt));
                }

                @Override
                public Answer answer(Answer answer) {
                    return answer;
                }

                @Override
                public void discard(Answer answer) {
                    discarded++;
                }
            };
        }
    }

    @Test
    void a_rejected_token_is_invalidated_and_the_request_replayed_once_with_another_token_even_if_the_provider_hands_it_out_again()
            throws Exception {
        // the provider still hands out the rejected token once (a reload from a shared store raced the invalidation)
        Tokens tokens = new Tokens(token("first"), token("first"), token("second"));
        List<String> sent = new ArrayList<>();
        int status = AuthenticatedRequests.of(tokens, TokenKey.of("api")).execute("GET", API, true, new Exchange(sent, 401, 401));
        assertThat(sent).containsExactly("Bearer first", "Bearer second");
        assertThat(status).isEqualTo(401); // the replay's answer is the caller's: no second replay
        assertThat(tokens.invalidated).containsOnly("first");
    }

    @Test
    void a_request_that_cannot_be_repeated_is_not_replayed_but_its_token_is_invalidated() throws Exception {
        Tokens tokens = new Tokens(token("first"), token("second"));
        List<String> sent = new ArrayList<>();
        int status = AuthenticatedRequests.of(tokens, TokenKey.of("api")).execute("POST", API, false, new Exchange(sent, 401));
        assertThat(status).isEqualTo(401);
        assertThat(sent).containsExactly("Bearer first");
        assertThat(tokens.invalidated).containsExactly("first");
    }

    @Test
    void a_403_is_neither_replayed_nor_a_reason_to_invalidate() throws Exception {
        Tokens tokens = new Tokens(token("first"), token("second"));
        List<String> sent = new ArrayList<>();
        int status = AuthenticatedRequests.of(tokens, TokenKey.of("api")).execute("GET", API, true, new Exchange(sent, 403));
        assertThat(status).isEqualTo(403);
        assertThat(sent).containsExactly("Bearer first");
        assertThat(tokens.invalidated).isEmpty();
    }

    /** Answers each attempt with the next status; records the Authorization sent. */
    private record Exchange(List<String> sent, int... statuses) implements AuthenticatedRequests.Exchange<Integer> {
        @Override
        public Integer send(Attempt attempt) {
            sent.add(attempt.credentials().authorization());
            return statuses[Math.min(sent.size() - 1, statuses.length - 1)];
        }

        @Override
        public Answer answer(Integer status) {
            return new Answer(status, List.of(), true);
        }

        @Override
        public void discard(Integer status) {}
    }

    /** Hands out the given tokens in order; records which were invalidated. */
    private static final class Tokens implements TokenProvider {
        final Deque<AccessToken> next;
        final List<String> invalidated = new ArrayList<>();
        int asked;

        Tokens(AccessToken... tokens) {
            this.next = new ArrayDeque<>(List.of(tokens));
        }

        @Override
        public AccessToken token(TokenKey key) {
            asked++;
            return next.size() > 1 ? next.poll() : next.peek();
        }

        @Override
        public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
            return CompletableFuture.completedFuture(token(key));
        }

        @Override
        public void invalidate(TokenKey key) {}

        @Override
        public boolean invalidate(TokenKey key, AccessToken rejected) {
            invalidated.add(rejected.value().reveal());
            return true;
        }

        @Override
        public TokenStatus status(TokenKey key) {
            return new TokenStatus(key, null, null, null, null, null);
        }
    }
}
