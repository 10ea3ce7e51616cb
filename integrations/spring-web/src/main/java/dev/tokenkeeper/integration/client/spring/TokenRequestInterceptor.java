package dev.tokenkeeper.integration.client.spring;

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
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.support.HttpRequestWrapper;

/**
 * A Spring {@link ClientHttpRequestInterceptor} for {@code RestClient} (and {@code RestTemplate})
 * that authenticates every request with an OAuth 2.0 access token from a {@link TokenProvider}.
 *
 * <pre>{@code
 * RestClient orders = RestClient.builder()
 *         .requestFactory(new JdkClientHttpRequestFactory())   // does not follow redirects itself
 *         .requestInterceptor(TokenRequestInterceptor.of(tokenManager, TokenKey.of("orders")))
 *         .build();
 * }</pre>
 *
 * <p>The rules (which answers reject the token, invalidation, one replay) are those of
 * {@link AuthenticatedRequests}. Spring hands interceptors the body as a byte array, so every
 * request can be replayed.
 *
 * <p>Redirects (301, 302, 303, 307, 308) are followed here, hop by hop, by the rules of
 * {@link Redirects}: the token goes only to the addressed origin and never again once a redirect
 * has left it. This needs a request factory that does not follow redirects itself (the JDK factory
 * on a default {@code HttpClient}, or Spring Boot's {@code spring.http.clients.redirects=dont-follow});
 * a factory that follows them hides them from every interceptor, and then keeping the token is up
 * to it. Immutable and thread-safe; its {@code toString} shows no token.
 */
public final class TokenRequestInterceptor implements ClientHttpRequestInterceptor {

    private static final Set<String> NOT_COPIED = Set.of("host", "content-length", "cookie", "authorization");

    private final AuthenticatedRequests rules;

    private TokenRequestInterceptor(AuthenticatedRequests rules) {
        this.rules = rules;
    }

    /** An interceptor adding tokens for {@code key} from {@code tokens} (Bearer tokens only). */
    public static TokenRequestInterceptor of(TokenProvider tokens, TokenKey key) {
        return new TokenRequestInterceptor(AuthenticatedRequests.of(tokens, key));
    }

    /**
     * An interceptor authenticating by {@code rules}: with {@code Tokenkeeper.requests(client)}, a
     * DPoP-bound client's requests carry a proof per request and per redirect hop.
     */
    public static TokenRequestInterceptor of(AuthenticatedRequests rules) {
        return new TokenRequestInterceptor(Objects.requireNonNull(rules, "rules"));
    }

    /** @throws TokenException if no token can be had (nothing is sent) */
    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        return rules.execute(request.getMethod().name(), request.getURI(), true,
                new AuthenticatedRequests.Exchange<Sent>() {
                    @Override
                    public Sent send(Attempt attempt) throws IOException {
                        return chain(request, body, execution, attempt.credentials());
                    }

                    @Override
                    public Answer answer(Sent sent) {
                        try {
                            return new Answer(sent.response().getStatusCode().value(),
                                    sent.response().getHeaders().getOrEmpty(HttpHeaders.WWW_AUTHENTICATE), sent.credentialed(),
                                    sent.response().getHeaders().getFirst(ProofOfPossession.DPOP_NONCE));
                        } catch (IOException e) {
                            return new Answer(0, java.util.List.of(), false);
                        }
                    }

                    @Override
                    public void discard(Sent sent) {
                        sent.response().close();
                    }
                }).response();
    }

    private Sent chain(HttpRequest request, byte[] body, ClientHttpRequestExecution execution, Credentials credentials)
            throws IOException {
        URI addressed = request.getURI();
        HttpRequest current = request;
        credentials.headers().forEach(request.getHeaders()::set);
        byte[] currentBody = body;
        boolean credentialed = true;
        for (int left = Redirects.MAX_REDIRECTS; ; left--) {
            ClientHttpResponse response = execution.execute(current, currentBody);
            Optional<Redirects.Hop> next = left <= 0 ? Optional.empty()
                    : Redirects.next(response.getStatusCode().value(), response.getHeaders().getFirst(HttpHeaders.LOCATION),
                            current.getURI(), current.getMethod().name());
            if (next.isEmpty()) {
                return new Sent(response, credentialed);
            }
            response.close();
            credentialed = credentialed && Redirects.sameOrigin(addressed, next.get().uri());
            current = following(current, next.get(), credentials, credentialed);
            currentBody = next.get().keepsBody() ? currentBody : new byte[0];
        }
    }

    private static HttpRequest following(HttpRequest previous, Redirects.Hop next, Credentials credentials,
            boolean credentialed) {
        HttpHeaders headers = new HttpHeaders();
        previous.getHeaders().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (NOT_COPIED.contains(lower) && !(lower.equals("cookie") && credentialed)
                    || credentials.headers().keySet().stream().anyMatch(name::equalsIgnoreCase) // e.g. a DPoP proof
                    || !next.keepsBody() && lower.startsWith("content-")) {
                return;
            }
            headers.addAll(name, values);
        });
        if (credentialed) {
            credentials.at(next.method(), next.uri()).headers().forEach(headers::set); // a DPoP proof names the hop
        }
        HttpMethod method = HttpMethod.valueOf(next.method());
        return new HttpRequestWrapper(previous) {
            @Override
            public HttpMethod getMethod() {
                return method;
            }

            @Override
            public URI getURI() {
                return next.uri();
            }

            @Override
            public HttpHeaders getHeaders() {
                return headers;
            }
        };
    }

    private record Sent(ClientHttpResponse response, boolean credentialed) {}

    @Override
    public String toString() {
        return "TokenRequestInterceptor[key=" + rules.key() + "]";
    }
}
