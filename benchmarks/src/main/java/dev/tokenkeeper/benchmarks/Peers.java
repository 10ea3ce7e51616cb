package dev.tokenkeeper.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequest;
import com.google.api.client.http.HttpResponse;
import com.google.api.client.http.UrlEncodedContent;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.GenericJson;
import com.google.api.client.json.JsonObjectParser;
import com.google.api.client.json.gson.GsonFactory;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.OAuth2Credentials;
import java.io.IOException;
import java.io.Serial;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ClientCredentialsOAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.endpoint.RestClientClientCredentialsTokenResponseClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;

/**
 * The peer libraries, each set up the way its documentation shows for the client-credentials grant
 * against a generic OAuth 2.0 token endpoint, one instance per simulated application instance.
 */
public final class Peers {

    static final String CLIENT_ID = "bench-client";
    static final String CLIENT_SECRET = "bench-secret";

    private Peers() {}

    // ------------------------------------------------------------------------------------------
    // Spring Security OAuth2 client

    /** Spring Security's non-servlet manager with the client-credentials provider and the RestClient token client. */
    public static final class Spring implements TokenSource {
        final AuthorizedClientServiceOAuth2AuthorizedClientManager manager;
        final OAuth2AuthorizeRequest request;

        /**
         * @param clockSkew the provider's clock skew: a token is renewed this long before it expires
         *     (Spring's default is 60 s, scaled down for short simulated lifetimes)
         */
        public Spring(URI tokenUri, Duration clockSkew) {
            ClientRegistration registration = ClientRegistration.withRegistrationId("bench")
                    .tokenUri(tokenUri.toString())
                    .clientId(CLIENT_ID)
                    .clientSecret(CLIENT_SECRET)
                    .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                    .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
                    .build();
            InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration);
            InMemoryOAuth2AuthorizedClientService clients = new InMemoryOAuth2AuthorizedClientService(registrations);
            ClientCredentialsOAuth2AuthorizedClientProvider provider = new ClientCredentialsOAuth2AuthorizedClientProvider();
            provider.setAccessTokenResponseClient(new RestClientClientCredentialsTokenResponseClient());
            provider.setClockSkew(clockSkew);
            manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, clients);
            manager.setAuthorizedClientProvider(provider);
            // built once: the request is immutable; building it per call would add its allocation
            request = OAuth2AuthorizeRequest.withClientRegistrationId("bench").principal("bench-service").build();
        }

        /** The hot-path call: {@code authorize(request)}. */
        public OAuth2AuthorizedClient authorize() {
            return manager.authorize(request);
        }

        @Override
        public String token() {
            return manager.authorize(request).getAccessToken().getTokenValue();
        }

        @Override
        public void close() {}
    }

    // ------------------------------------------------------------------------------------------
    // google-auth-library

    /**
     * google-auth-library's {@link OAuth2Credentials} for a client-credentials IdP: the library's
     * caching, margins and refresh logic, with {@link #refreshAccessToken()} doing the grant over
     * google-http-client as the library's own credential classes do.
     */
    public static final class GoogleCredentials extends OAuth2Credentials {
        @Serial
        private static final long serialVersionUID = 1L;

        private final transient NetHttpTransport transport = new NetHttpTransport();
        private final String tokenUri;

        /**
         * @param refreshMargin start an asynchronous refresh this long before expiry
         * @param expirationMargin treat the token as expired this long before expiry
         */
        /** With the library's default margins. */
        public GoogleCredentials(URI tokenUri) {
            super();
            this.tokenUri = tokenUri.toString();
        }

        public GoogleCredentials(URI tokenUri, Duration refreshMargin, Duration expirationMargin) {
            super(null, refreshMargin, expirationMargin);
            this.tokenUri = tokenUri.toString();
        }

        @Override
        public AccessToken refreshAccessToken() throws IOException {
            HttpRequest request = transport.createRequestFactory()
                    .buildPostRequest(new GenericUrl(tokenUri), new UrlEncodedContent(Map.of("grant_type", "client_credentials")));
            request.getHeaders().setAuthorization("Basic " + Base64.getEncoder()
                    .encodeToString((CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8)));
            request.setParser(new JsonObjectParser(GsonFactory.getDefaultInstance()));
            request.setConnectTimeout(5_000);
            request.setReadTimeout(10_000);
            HttpResponse response = request.execute(); // throws HttpResponseException on non-2xx
            try {
                GenericJson json = response.parseAs(GenericJson.class);
                String value = (String) json.get("access_token");
                long expiresIn = ((BigDecimal) json.get("expires_in")).longValue();
                return new AccessToken(value, new Date(System.currentTimeMillis() + expiresIn * 1000));
            } finally {
                response.disconnect();
            }
        }

        /** The hot-path call. */
        public Map<String, List<String>> metadata() throws IOException {
            return getRequestMetadata(null);
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    /** The google-auth credentials as a token source. */
    public static final class Google implements TokenSource {
        final GoogleCredentials credentials;

        public Google(URI tokenUri, Duration refreshMargin, Duration expirationMargin) {
            credentials = new GoogleCredentials(tokenUri, refreshMargin, expirationMargin);
        }

        @Override
        public String token() throws IOException {
            return credentials.getRequestMetadata(null).get("Authorization").get(0);
        }

        @Override
        public void close() {}
    }

    // ------------------------------------------------------------------------------------------
    // Caffeine (a do-it-yourself cache, the usual hand-rolled answer)

    /**
     * A Caffeine {@link LoadingCache} with {@code expireAfterWrite} and {@code refreshAfterWrite}
     * whose loader runs the grant on the JDK HTTP client: what a team writes when it rolls its own.
     */
    public static final class CaffeineCache implements TokenSource {
        private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
        final LoadingCache<String, String> cache;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final java.net.http.HttpRequest grant;

        public CaffeineCache(URI tokenUri, Duration expireAfterWrite, Duration refreshAfterWrite) {
            grant = java.net.http.HttpRequest.newBuilder(tokenUri)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Basic " + Base64.getEncoder()
                            .encodeToString((CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8)))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                    .build();
            Caffeine<Object, Object> b = Caffeine.newBuilder().expireAfterWrite(expireAfterWrite);
            if (refreshAfterWrite != null) {
                b.refreshAfterWrite(refreshAfterWrite);
            }
            cache = b.build(key -> fetch());
        }

        private String fetch() throws IOException, InterruptedException {
            java.net.http.HttpResponse<String> r = http.send(grant, java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("token endpoint answered " + r.statusCode());
            }
            Matcher m = ACCESS_TOKEN.matcher(r.body());
            if (!m.find()) {
                throw new IOException("no access_token in the answer");
            }
            return m.group(1);
        }

        /** The hot-path call. */
        public String get() {
            return cache.get("bench");
        }

        @Override
        public String token() {
            return cache.get("bench");
        }

        @Override
        public void close() {}
    }
}
