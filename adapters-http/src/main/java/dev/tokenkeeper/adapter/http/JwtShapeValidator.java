package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.TokenResponse;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** See {@link TokenResponseValidator#jwt(Set, Duration)}. Immutable and thread-safe. */
final class JwtShapeValidator implements TokenResponseValidator {

    private static final Redactor TEXT = Redactor.of(List.of());

    private final Set<String> allowedAlgorithms;
    private final Duration maxLifetime;

    JwtShapeValidator(Set<String> allowedAlgorithms, Duration maxLifetime) {
        Objects.requireNonNull(allowedAlgorithms, "allowedAlgorithms");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        List<String> problems = new ArrayList<>();
        if (allowedAlgorithms.isEmpty()) {
            problems.add("allowedAlgorithms must name at least one JWS algorithm, e.g. RS256");
        }
        if (allowedAlgorithms.stream().anyMatch(a -> a == null || a.equalsIgnoreCase("none"))) {
            problems.add("allowedAlgorithms must not contain 'none' or null: an unsigned token is never acceptable");
        }
        if (maxLifetime.isZero() || maxLifetime.isNegative()) {
            problems.add("maxLifetime must be positive, was " + maxLifetime);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        this.allowedAlgorithms = Set.copyOf(new TreeSet<>(allowedAlgorithms));
        this.maxLifetime = maxLifetime;
    }

    @Override
    public void validate(TokenResponse response) {
        String token = response.accessToken().reveal();
        if (!Jwt.hasThreeParts(token)) {
            throw reject("the access token is not a three-part JWT");
        }
        JsonObject header = Jwt.header(token).orElseThrow(() -> reject("the access token's JWT header is not a JSON object"));
        Object alg = header.getValue("alg");
        if (!(alg instanceof String a) || !allowedAlgorithms.contains(a)) {
            throw reject("the access token's JWT alg '" + TEXT.sanitize(String.valueOf(alg), 20) + "' is not allowed (allowed: "
                    + new TreeSet<>(allowedAlgorithms) + ")");
        }
        if (response.expiresIn().compareTo(maxLifetime) > 0) {
            throw reject("the token lifetime " + response.expiresIn().toSeconds() + " s exceeds the allowed "
                    + maxLifetime.toSeconds() + " s");
        }
        Optional<JsonObject> payload = Jwt.payload(token);
        if (payload.isEmpty()) {
            throw reject("the access token's JWT payload is not a JSON object");
        }
        Optional<Long> iat = Jwt.numericDate(payload.get(), "iat");
        Optional<Long> exp = Jwt.numericDate(payload.get(), "exp");
        if (iat.isPresent() && exp.isPresent() && exp.get() - iat.get() > maxLifetime.toSeconds()) {
            throw reject("the access token's JWT lifetime (exp - iat) " + (exp.get() - iat.get()) + " s exceeds the allowed "
                    + maxLifetime.toSeconds() + " s");
        }
    }

    private static TokenException reject(String why) {
        return new TokenException(FailureKind.MALFORMED_RESPONSE, "token response rejected by the JWT validator: " + why);
    }

    @Override
    public String toString() {
        return "JwtShapeValidator[allowedAlgorithms=" + new TreeSet<>(allowedAlgorithms) + ", maxLifetime=" + maxLifetime + "]";
    }
}
