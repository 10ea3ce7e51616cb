package dev.tokenkeeper.integration.client.okhttp;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
import dev.tokenkeeper.domain.api.ProofOfPossession;
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
 * // a DPoP-bound client (clients.orders.dpop=true): the rules from the Tokenkeeper carry its proofs,
 * // and a network interceptor signs each hop's proof
 * OkHttpClient bound = TokenInterceptor.of(tokenkeeper.requests("orders")).installOn(new OkHttpClient.Builder()).build();
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
 * <h2>DPoP</h2>
 * A DPoP proof names the URI of the one request it goes with, and OkHttp would copy it onto every
 * redirect (and keep it where it drops {@code Authorization}). So the proofs are made by
 * {@link #hopProofs()}, a network interceptor that sees each hop: a new proof for each hop that
 * still carries the token within the addressed origin, none anywhere else. {@link #installOn} adds
 * both interceptors; a DPoP-bound token sent through a client without the network interceptor goes
 * out without a proof (the server cannot act on it) and the call fails with a
 * {@code BAD_CONFIGURATION} {@link TokenException} that says so.
 *
 * <p>Immutable and thread-safe. Its {@code toString} shows no token.
 */
public final class TokenInterceptor implements Interceptor {

    private final AuthenticatedRequests rules;

    private TokenInterceptor(AuthenticatedRequests rules) {
        this.rules = rules;
    }

    /** An interceptor adding tokens for {@code key} from {@code tokens} (Bearer tokens only). */
    public static TokenInterceptor of(TokenProvider tokens, TokenKey key) {
        return new TokenInterceptor(AuthenticatedRequests.of(tokens, key));
    }

    /**
     * An interceptor authenticating by {@code rules}: with {@code Tokenkeeper.requests(client)}, a
     * DPoP-bound client's calls carry their proofs (then add it with {@link #installOn}).
     */
    public static TokenInterceptor of(AuthenticatedRequests rules) {
        return new TokenInterceptor(Objects.requireNonNull(rules, "rules"));
    }

    /**
     * Adds this application interceptor and its {@link #hopProofs() network interceptor} to
     * {@code builder}, which is returned.
     */
    public OkHttpClient.Builder installOn(OkHttpClient.Builder builder) {
        return builder.addInterceptor(this).addNetworkInterceptor(hopProofs());
    }

    /**
     * The network interceptor that puts a DPoP proof on each hop of a call this interceptor sent
     * with a DPoP-bound token, and only where the token goes (it passes every other request as it is).
     */
    public Interceptor hopProofs() {
        return HOP_PROOFS;
    }

    private static final Interceptor HOP_PROOFS = new Interceptor() {
        @Override
        public Response intercept(Chain chain) throws IOException {
            Request request = chain.request();
            Hops hops = request.tag(Hops.class);
            if (hops == null) {
                return chain.proceed(request);
            }
            Request.Builder b = request.newBuilder();
            hops.credentials.headers().keySet().stream().filter(h -> !h.equalsIgnoreCase(Credentials.AUTHORIZATION))
                    .forEach(b::removeHeader);
            URI at = request.url().uri();
            if (hops.credentials.sentAs(request.header(Credentials.AUTHORIZATION)) && Redirects.sameOrigin(hops.addressed, at)) {
                Credentials here = hops.proofs++ == 0 && at.equals(hops.addressed) && request.method().equals(hops.method)
                        ? hops.credentials // the first hop: the proof made for it
                        : hops.credentials.at(request.method(), at); // a redirect, or a retry on another connection
                here.headers().forEach(b::header);
            }
            return chain.proceed(b.build());
        }

        @Override
        public String toString() {
            return "TokenInterceptor.hopProofs";
        }
    };

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
                if (!credentials.provesPossession()) {
                    credentials.headers().forEach(b::header);
                    return new Sent(chain.proceed(b.build()), credentials);
                }
                // the token here; each hop's proof from the network interceptor, which sees the hops
                credentials.headers().keySet().forEach(b::removeHeader);
                b.header(Credentials.AUTHORIZATION, credentials.authorization());
                Hops hops = new Hops(addressed, request.method(), credentials);
                b.tag(Hops.class, hops);
                Response response = chain.proceed(b.build());
                if (hops.proofs == 0 && response.networkResponse() != null) {
                    response.close();
                    throw new TokenException(FailureKind.BAD_CONFIGURATION, "the token for " + rules.key() + " is DPoP-bound "
                            + "and its proofs are made per hop by a network interceptor this OkHttpClient lacks: build it with "
                            + "TokenInterceptor.installOn(builder), or add hopProofs() with addNetworkInterceptor");
                }
                return new Sent(response, credentials);
            }

            @Override
            public Answer answer(Sent sent) {
                Request last = sent.response().request();
                boolean credentialed = sent.credentials().sentAs(last.header(Credentials.AUTHORIZATION))
                        && Redirects.sameOrigin(addressed, last.url().uri());
                return new Answer(sent.response().code(), sent.response().headers("WWW-Authenticate"), credentialed,
                        sent.response().header(ProofOfPossession.DPOP_NONCE));
            }

            @Override
            public void discard(Sent sent) {
                sent.response().close();
            }
        }).response();
    }

    /** What the network interceptor needs to prove one attempt's hops: where the call was addressed, with what. */
    private static final class Hops {
        final URI addressed;
        final String method;
        final Credentials credentials;
        /** How many hops got a proof; the hops of one call run one after another. */
        volatile int proofs;

        Hops(URI addressed, String method, Credentials credentials) {
            this.addressed = addressed;
            this.method = method;
            this.credentials = credentials;
        }

        @Override
        public String toString() {
            return "Hops[" + credentials + "]";
        }
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
