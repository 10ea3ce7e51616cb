package dev.tokenkeeper.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
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

    @Test
    void a_dpop_bound_token_is_not_sent_as_bearer_but_refused_with_a_configuration_error() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        AccessToken dpop = new AccessToken(Secret.of("dpop-bound-value"), "DPoP", now, now.plusSeconds(3600), Set.of(), null);
        AuthenticatedRequests rules = AuthenticatedRequests.of(new Tokens(dpop, dpop), TokenKey.of("api"));
        List<String> sent = new ArrayList<>();

        assertThatThrownBy(() -> rules.execute("GET", API, true, new Exchange(sent, 200)))
                .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION))
                .hasMessageContaining("DPoP").hasMessageNotContaining("dpop-bound-value");
        assertThatThrownBy(() -> rules.credentialsAsync("GET", API).toCompletableFuture().join())
                .hasCauseInstanceOf(TokenException.class);
        assertThat(sent).isEmpty();
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

        Tokens(AccessToken... tokens) {
            this.next = new ArrayDeque<>(List.of(tokens));
        }

        @Override
        public AccessToken token(TokenKey key) {
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
