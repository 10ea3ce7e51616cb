package dev.tokenkeeper.integration.client.okhttp;

import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
import dev.tokenkeeper.domain.api.Redirects;
import dev.tokenkeeper.domain.api.TokenProvider;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * An OkHttp application {@link Interceptor} that authenticates every call with an OAuth 2.0 access
 * token from a {@link TokenProvider}, so that business code (and whatever is built on OkHttp:
 * Retrofit, many SDKs) never handles tokens.
 *
 * <pre>{@code
 * OkHttpClient orders = new OkHttpClient.Builder()
 *         .addInterceptor(TokenInterceptor.of(tokenManager, TokenKey.of("orders", "orders.read")))
 *         .build();
 * }</pre>
 *
 * <p>The rules (which answers reject the token, invalidation, one replay) are those of
 * {@link AuthenticatedRequests}, applied here rather than in an OkHttp {@code Authenticator}
 * because an authenticator is also asked about 401s from other origins a redirect led to and may
 * be asked repeatedly; the interceptor sees the whole call once. A call is replayed only when its
 * body can be sent again: none, or a body that is not {@link RequestBody#isOneShot() one-shot} nor
 * duplex. It must be added with {@link OkHttpClient.Builder#addInterceptor} (an application
 * interceptor), not as a network interceptor.
 *
 * <p>Redirects are OkHttp's: it drops the {@code Authorization} header when a redirect leaves the
 * host, port or scheme it was sent to (and never puts it back), which the contract test proves;
 * only an answer from the addressed origin that carried the token counts as a rejection.
 *
 * <p>Immutable and thread-safe. Its {@code toString} shows no token.
 */
public final class TokenInterceptor implements Interceptor {

    private final AuthenticatedRequests rules;

    private TokenInterceptor(AuthenticatedRequests rules) {
        this.rules = rules;
    }

    /** An interceptor adding tokens for {@code key} from {@code tokens}. */
    public static TokenInterceptor of(TokenProvider tokens, TokenKey key) {
        return new TokenInterceptor(AuthenticatedRequests.of(tokens, key));
    }

    /**
     * Sends the call authenticated.
     *
     * @throws TokenException if no token can be had (nothing is sent); OkHttp hands it to the
     *     caller as is ({@code execute}) or to {@code onFailure} wrapped in an {@code IOException} ({@code enqueue})
     */
    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        URI addressed = request.url().uri();
        RequestBody body = request.body();
        boolean repeatable = body == null || !(body.isOneShot() || body.isDuplex());
        return rules.execute(request.method(), addressed, repeatable, new AuthenticatedRequests.Exchange<Sent>() {
            @Override
            public Sent send(Attempt attempt) throws IOException {
                Credentials credentials = attempt.credentials();
                Request.Builder b = request.newBuilder();
                credentials.headers().forEach(b::header);
                return new Sent(chain.proceed(b.build()), credentials);
            }

            @Override
            public Answer answer(Sent sent) {
                Request last = sent.response().request();
                boolean credentialed = sent.credentials().sentAs(last.header(Credentials.AUTHORIZATION))
                        && Redirects.sameOrigin(addressed, last.url().uri());
                return new Answer(sent.response().code(), sent.response().headers("WWW-Authenticate"), credentialed);
            }

            @Override
            public void discard(Sent sent) {
                sent.response().close();
            }
        }).response();
    }

    private record Sent(Response response, Credentials credentials) {
        Sent {
            Objects.requireNonNull(response, "response");
        }
    }

    @Override
    public String toString() {
        return "TokenInterceptor[key=" + rules.key() + "]";
    }
}
