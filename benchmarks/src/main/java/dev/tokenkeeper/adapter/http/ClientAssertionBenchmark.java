package dev.tokenkeeper.adapter.http;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.tokenkeeper.domain.Secret;
import java.net.URI;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one client assertion costs: claims, header, signature and serialization, exactly as the
 * endpoint makes one for every token request it sends ({@code ClientAssertions.create}). RS256 is
 * a 2048-bit RSA private-key operation, ES256 a P-256 ECDSA signature, HS256 an HMAC with the
 * client secret. In the adapter's package (on the benchmark's class path) because the assertion
 * maker is package-private.
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/tokenkeeper-benchmarks.jar org.openjdk.jmh.Main ClientAssertionBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ClientAssertionBenchmark {

    @Param({"RS256", "ES256", "HS256"})
    public String algorithm;

    private ClientAssertions assertions;
    private final URI tokenUrl = URI.create("https://idp.example/oauth2/token");

    @Setup
    public void setUp() throws Exception {
        ClientAuthentication method = algorithm.equals("HS256") ? ClientAuthentication.CLIENT_SECRET_JWT
                : ClientAuthentication.PRIVATE_KEY_JWT;
        ClientAssertionKey key = switch (algorithm) {
            case "RS256" -> ClientAssertionKey.of(new RSAKeyGenerator(2048).keyID("rs").generate());
            case "ES256" -> ClientAssertionKey.of(new ECKeyGenerator(Curve.P_256).keyID("es").generate());
            default -> null;
        };
        assertions = new ClientAssertions("bench-client", method, key,
                SecretSource.of(Secret.of("a-client-secret-of-at-least-32-bytes-0123456789")), null, null,
                ClientAssertions.DEFAULT_LIFETIME, InstantSource.system());
    }

    @Benchmark
    public String assertion() {
        return assertions.create(tokenUrl, null);
    }
}
