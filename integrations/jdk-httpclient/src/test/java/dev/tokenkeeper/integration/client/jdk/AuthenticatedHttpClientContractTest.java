package dev.tokenkeeper.integration.client.jdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.integration.tck.AuthenticatedClientContractKit;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The client contract for the JDK {@code HttpClient}, blocking ({@code send}) and asynchronous ({@code sendAsync}). */
class AuthenticatedHttpClientContractTest {

    static HttpClient client(TokenProvider tokens, TokenKey key) {
        return AuthenticatedHttpClient.builder(HttpClient.newHttpClient(), tokens, key)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** As an application builds it from the Tokenkeeper (a DPoP-bound client's proofs come with the rules). */
    static HttpClient client(Tokenkeeper tokenkeeper, String client) {
        return AuthenticatedHttpClient.builder(HttpClient.newHttpClient(), tokenkeeper.requests(client))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    static HttpRequest post(URI uri, String body, boolean repeatable) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(uri).header("Content-Type", "text/plain")
                .POST(repeatable ? HttpRequest.BodyPublishers.ofString(body)
                        : HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build();
    }

    @Nested
    class Blocking extends AuthenticatedClientContractKit {
        @Override
        protected Driver driver(TokenProvider tokens, TokenKey key) {
            return driver(client(tokens, key));
        }

        @Override
        protected Driver driver(Tokenkeeper tokenkeeper, String client) {
            return driver(client(tokenkeeper, client));
        }

        private Driver driver(HttpClient http) {
            return new Driver() {
                @Override
                public Reply get(URI uri) throws Exception {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                    return new Reply(r.statusCode(), r.body());
                }

                @Override
                public Reply post(URI uri, String body, boolean repeatable) throws Exception {
                    HttpResponse<String> r = http.send(AuthenticatedHttpClientContractTest.post(uri, body, repeatable),
                            HttpResponse.BodyHandlers.ofString());
                    return new Reply(r.statusCode(), r.body());
                }
            };
        }
    }

    @Nested
    class Asynchronous extends AuthenticatedClientContractKit {
        @Override
        protected Driver driver(TokenProvider tokens, TokenKey key) {
            return driver(client(tokens, key));
        }

        @Override
        protected Driver driver(Tokenkeeper tokenkeeper, String client) {
            return driver(client(tokenkeeper, client));
        }

        private Driver driver(HttpClient http) {
            return new Driver() {
                @Override
                public Reply get(URI uri) throws Exception {
                    HttpResponse<String> r = http.sendAsync(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofString()).get();
                    return new Reply(r.statusCode(), r.body());
                }

                @Override
                public Reply post(URI uri, String body, boolean repeatable) throws Exception {
                    HttpResponse<String> r = http.sendAsync(AuthenticatedHttpClientContractTest.post(uri, body, repeatable),
                            HttpResponse.BodyHandlers.ofString()).get();
                    return new Reply(r.statusCode(), r.body());
                }
            };
        }
    }

    @Test
    void a_wrapped_client_that_follows_redirects_itself_is_refused_with_the_fix_in_the_message() {
        HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        assertThatThrownBy(() -> AuthenticatedHttpClient.builder(following, new NoTokens(), TokenKey.of("api")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Redirect.NEVER");
    }

    @Test
    void only_the_jdks_replayable_publishers_count_as_repeatable() {
        URI uri = URI.create("http://127.0.0.1/");
        assertThat(AuthenticatedHttpClient.repeatableByDefault(HttpRequest.newBuilder(uri).build())).isTrue();
        assertThat(AuthenticatedHttpClient.repeatableByDefault(post(uri, "x", true))).isTrue();
        assertThat(AuthenticatedHttpClient.repeatableByDefault(post(uri, "x", false))).isFalse();
    }

    /** A provider that is never asked: the builder fails first. */
    private static final class NoTokens implements TokenProvider {
        @Override
        public dev.tokenkeeper.domain.AccessToken token(TokenKey key) {
            throw new AssertionError("not asked");
        }

        @Override
        public java.util.concurrent.CompletionStage<dev.tokenkeeper.domain.AccessToken> tokenAsync(TokenKey key) {
            throw new AssertionError("not asked");
        }

        @Override
        public void invalidate(TokenKey key) {}

        @Override
        public boolean invalidate(TokenKey key, dev.tokenkeeper.domain.AccessToken rejected) {
            return false;
        }

        @Override
        public dev.tokenkeeper.domain.api.TokenStatus status(TokenKey key) {
            throw new AssertionError("not asked");
        }
    }
}
