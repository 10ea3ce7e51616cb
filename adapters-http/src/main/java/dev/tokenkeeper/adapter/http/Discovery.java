package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The authorization server's metadata, discovered from its issuer: the RFC 8414 document
 * ({@code /.well-known/oauth-authorization-server} inserted before the issuer's path), else the
 * OpenID Connect one ({@code {issuer}/.well-known/openid-configuration}), else
 * {@code {issuer}/.well-known/oauth-authorization-server} (where Keycloak and Okta serve it); the
 * first that answers 200 counts, a 404 moves to the next.
 *
 * <p>The document's {@code issuer} must equal the configured issuer exactly (RFC 8414 §3.3, OpenID
 * Discovery §4.3): otherwise another server's endpoints could be used. Its endpoints must be
 * {@code https} (or {@code http} to loopback, or with {@code allowInsecureHttp}).
 *
 * <p>The document is cached: after {@link #MAX_AGE} the next use fetches it again while the old one
 * keeps serving. A failed fetch is retried no sooner than a backoff that doubles from
 * {@link #MIN_BACKOFF} up to {@link #MAX_BACKOFF}; until then a caller without a document gets
 * the last failure at once (no request storm against a broken IdP), a caller with one keeps using
 * it. Time comes from the endpoint's clock. Thread-safe.
 */
final class Discovery {

    /** How long a document is used before it is fetched again (endpoints rarely move; keys are not read from it). */
    static final Duration MAX_AGE = Duration.ofHours(1);
    static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    /** What the document says, checked. */
    record Metadata(URI issuer, URI tokenEndpoint, URI revocationEndpoint, URI mtlsTokenEndpoint, URI mtlsRevocationEndpoint,
            List<String> authMethods) {}

    private record Cached(Metadata metadata, Instant fetchedAt) {}

    private final URI issuer;
    private final String display;
    private final WebClient client;
    private final EndpointConfig config;
    private final InstantSource clock;

    private Cached cached;
    private CompletableFuture<Metadata> inFlight;
    private TokenException lastFailure;
    private Instant nextAttempt = Instant.MIN;
    private Duration backoff = MIN_BACKOFF;

    Discovery(URI issuer, WebClient client, EndpointConfig config) {
        this.issuer = issuer;
        this.display = EndpointConfig.display(issuer);
        this.client = client;
        this.config = config;
        this.clock = config.clock();
    }

    /** The metadata: cached, or being fetched, or the last failure while backing off. */
    CompletionStage<Metadata> metadata() {
        CompletableFuture<Metadata> fetch;
        synchronized (this) {
            Instant now = clock.instant();
            Cached c = cached;
            boolean stale = c == null || !now.isBefore(c.fetchedAt().plus(MAX_AGE));
            if (!stale) {
                return CompletableFuture.completedFuture(c.metadata());
            }
            if (inFlight == null && now.isBefore(nextAttempt)) {
                return c != null ? CompletableFuture.completedFuture(c.metadata())
                        : CompletableFuture.failedFuture(lastFailure);
            }
            if (inFlight == null) {
                inFlight = new CompletableFuture<>();
                fetch = inFlight;
                start(fetch);
            } else {
                fetch = inFlight;
            }
            if (c != null) {
                return CompletableFuture.completedFuture(c.metadata()); // the old one serves while the new one comes
            }
        }
        return fetch;
    }

    /** Forgets the document so the next use fetches it (after the server rejected what it named). */
    synchronized void invalidate() {
        if (cached != null) {
            cached = new Cached(cached.metadata(), Instant.MIN);
        }
    }

    private void start(CompletableFuture<Metadata> fetch) {
        List<URI> candidates = candidates(issuer);
        attempt(candidates, 0).whenComplete((m, failure) -> {
            synchronized (this) {
                inFlight = null;
                if (failure == null) {
                    cached = new Cached(m, clock.instant());
                    backoff = MIN_BACKOFF;
                    lastFailure = null;
                } else {
                    Throwable t = TokenException.unwrap(failure);
                    lastFailure = t instanceof TokenException te ? te
                            : new TokenException(FailureKind.NETWORK, "discovery of " + display + " failed ("
                                    + t.getClass().getSimpleName() + ")");
                    nextAttempt = clock.instant().plus(backoff);
                    Duration doubled = backoff.multipliedBy(2);
                    backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
                }
            }
            if (failure == null) {
                fetch.complete(m);
            } else {
                fetch.completeExceptionally(lastFailure);
            }
        });
    }

    /** The document URLs to try, in order. */
    static List<URI> candidates(URI issuer) {
        String base = issuer.getScheme() + "://" + issuer.getRawAuthority();
        String path = issuer.getRawPath() == null ? "" : issuer.getRawPath();
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        List<URI> list = new ArrayList<>();
        list.add(URI.create(base + "/.well-known/oauth-authorization-server" + trimmed));
        list.add(URI.create(base + trimmed + "/.well-known/openid-configuration"));
        if (!trimmed.isEmpty()) {
            list.add(URI.create(base + trimmed + "/.well-known/oauth-authorization-server"));
        }
        return list;
    }

    private CompletionStage<Metadata> attempt(List<URI> candidates, int i) {
        URI url = candidates.get(i);
        String shown = EndpointConfig.display(url);
        String what = "discovery request";
        CompletableFuture<Metadata> result = new CompletableFuture<>();
        LimitedBodyCodec codec = new LimitedBodyCodec(config.maxResponseBytes(),
                () -> result.completeExceptionally(HttpFailures.tooLarge(what, shown, config.maxResponseBytes())));
        try {
            client.getAbs(url.toString()).as(codec).followRedirects(false)
                    .connectTimeout(config.connectTimeout().toMillis())
                    .idleTimeout(config.requestTimeout().toMillis())
                    .putHeader("Accept", "application/json")
                    .send()
                    .onComplete(ar -> {
                        if (result.isDone()) {
                            return;
                        }
                        if (ar.failed()) {
                            result.completeExceptionally(HttpFailures.transport(what, shown, ar.cause(), Redactor.of(List.of())));
                            return;
                        }
                        HttpResponse<Buffer> r = ar.result();
                        if (r.statusCode() == 404 && i + 1 < candidates.size()) {
                            attempt(candidates, i + 1).whenComplete((m, f) -> {
                                if (f == null) {
                                    result.complete(m);
                                } else {
                                    result.completeExceptionally(TokenException.unwrap(f));
                                }
                            });
                            return;
                        }
                        if (r.statusCode() != 200) {
                            FailureKind kind = r.statusCode() >= 500 || r.statusCode() == 429 ? FailureKind.SERVER_ERROR
                                    : FailureKind.BAD_CONFIGURATION;
                            result.completeExceptionally(new TokenException(kind, what + " to " + shown + " failed: HTTP "
                                    + r.statusCode() + (kind == FailureKind.BAD_CONFIGURATION
                                            ? "; is " + display + " the issuer (without /.well-known)?" : "")));
                            return;
                        }
                        try {
                            result.complete(parse(r.body(), shown));
                        } catch (TokenException e) {
                            result.completeExceptionally(e);
                        }
                    });
        } catch (RuntimeException e) {
            result.completeExceptionally(HttpFailures.transport(what, shown, e, Redactor.of(List.of())));
        }
        return result.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(f -> {
            Throwable t = TokenException.unwrap(f);
            return CompletableFuture.failedFuture(t instanceof java.util.concurrent.TimeoutException
                    ? HttpFailures.deadline(what, shown, config.requestTimeout()) : t);
        });
    }

    private Metadata parse(Buffer body, String shown) {
        JsonObject doc = HttpFailures.jsonObjectOrNull(body);
        if (doc == null) {
            throw new TokenException(FailureKind.MALFORMED_RESPONSE, "the discovery document at " + shown + " is not a JSON object");
        }
        String found = doc.getValue("issuer") instanceof String s ? s : null;
        if (!issuer.toString().equals(found)) {
            throw new TokenException(FailureKind.BAD_CONFIGURATION, "the discovery document at " + shown + " names issuer '"
                    + (found == null ? "(none)" : Redactor.of(List.of()).sanitize(found)) + "', not the configured '" + issuer
                    + "': they must be identical (RFC 8414 §3.3)");
        }
        URI token = endpoint(doc, "token_endpoint", shown, true);
        URI revocation = endpoint(doc, "revocation_endpoint", shown, false);
        URI mtlsToken = null;
        URI mtlsRevocation = null;
        if (doc.getValue("mtls_endpoint_aliases") instanceof JsonObject aliases) {
            mtlsToken = endpoint(aliases, "token_endpoint", shown, false);
            mtlsRevocation = endpoint(aliases, "revocation_endpoint", shown, false);
        }
        List<String> methods = new ArrayList<>();
        if (doc.getValue("token_endpoint_auth_methods_supported") instanceof JsonArray a) {
            for (Object o : a) {
                if (o instanceof String s) {
                    methods.add(s);
                }
            }
        }
        return new Metadata(issuer, token, revocation, mtlsToken, mtlsRevocation, List.copyOf(methods));
    }

    private URI endpoint(JsonObject doc, String name, String shown, boolean required) {
        Object v = doc.getValue(name);
        if (v == null && !required) {
            return null;
        }
        List<String> problems = new ArrayList<>();
        URI uri = null;
        if (v instanceof String s) {
            try {
                uri = URI.create(s);
                EndpointConfig.checkUrl(name, uri, config.allowInsecureHttp(), problems);
            } catch (IllegalArgumentException e) {
                problems.add(name + " is not a URL");
            }
        } else {
            problems.add(name + (v == null ? " is missing" : " is not a string"));
        }
        if (!problems.isEmpty()) {
            throw new TokenException(FailureKind.MALFORMED_RESPONSE, "the discovery document at " + shown + " is unusable: "
                    + String.join("; ", problems));
        }
        return uri;
    }

    @Override
    public String toString() {
        return "Discovery[" + display + "]";
    }
}
