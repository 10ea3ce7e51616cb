package dev.tokenkeeper.integration.client.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.integration.tck.AuthenticatedClientContractKit;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/** The client contract for OkHttp with {@link TokenInterceptor}, redirects followed by OkHttp itself. */
class TokenInterceptorContractTest extends AuthenticatedClientContractKit {

    private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");

    @Override
    protected Driver driver(TokenProvider tokens, TokenKey key) {
        return driver(new OkHttpClient.Builder().addInterceptor(TokenInterceptor.of(tokens, key)).build());
    }

    /** As an application builds it from the Tokenkeeper: both interceptors, so that each hop gets its DPoP proof. */
    @Override
    protected Driver driver(Tokenkeeper tokenkeeper, String client) {
        return driver(TokenInterceptor.of(tokenkeeper.requests(client)).installOn(new OkHttpClient.Builder()).build());
    }

    private Driver driver(OkHttpClient http) {
        return new Driver() {
            @Override
            public Reply get(URI uri) throws IOException {
                return call(new Request.Builder().url(uri.toString()).build());
            }

            @Override
            public Reply post(URI uri, String body, boolean repeatable) throws IOException {
                RequestBody b = repeatable ? RequestBody.create(body, TEXT) : new OneShot(body);
                return call(new Request.Builder().url(uri.toString()).post(b).build());
            }

            private Reply call(Request request) throws IOException {
                try (Response r = http.newCall(request).execute()) {
                    return new Reply(r.code(), r.body().string());
                }
            }

            @Override
            public void close() {
                http.dispatcher().executorService().shutdown();
                http.connectionPool().evictAll();
            }
        };
    }

    @Test
    void a_dpop_bound_client_without_the_hop_interceptor_fails_plainly_and_no_proof_goes_out() throws Exception {
        OkHttpClient appOnly = new OkHttpClient.Builder()
                .addInterceptor(TokenInterceptor.of(tokenkeeper.requests(DPOP_CLIENT))).build();
        try {
            assertThatThrownBy(() -> appOnly.newCall(new Request.Builder().url(api.uri("/api/orders").toString()).build()).execute())
                    .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION))
                    .hasMessageContaining("installOn");
            assertThat(api.seen("/api/orders")).singleElement().satisfies(s -> assertThat(s.dpop()).isNull());
            String token = idp.issuedTokens().get(0);
            assertThat(api.seen("/api/orders").get(0).authorization()).isEqualTo("DPoP " + token);
        } finally {
            appOnly.dispatcher().executorService().shutdown();
            appOnly.connectionPool().evictAll();
        }
    }

    /** A streamed body, as from an upload: OkHttp users mark such bodies one-shot. */
    private static final class OneShot extends RequestBody {
        private final String body;

        OneShot(String body) {
            this.body = body;
        }

        @Override
        public MediaType contentType() {
            return TEXT;
        }

        @Override
        public boolean isOneShot() {
            return true;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            sink.write(body.getBytes(StandardCharsets.UTF_8));
        }
    }
}
