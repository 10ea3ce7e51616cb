package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.adapter.http.DpopProofs;
import dev.tokenkeeper.domain.Secret;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of one DPoP proof (RFC 9449), made for every token request and every resource request
 * of a DPoP-bound token: a fresh {@code jti}, the claims, a JWS signature with the key (EC P-256 /
 * ES256, and RSA 2048 / RS256), and for a resource request the SHA-256 {@code ath} of the token.
 * The cached-token hot path with DPoP available is {@link HotPathBenchmark#tokenkeeperMemoryDpop}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DpopBenchmark {

    /** The keys, generated once per trial. */
    @State(Scope.Benchmark)
    public static class Keys {
        DpopProofs es256;
        DpopProofs rs256;
        final URI tokenUrl = URI.create("https://idp.example/oauth2/token");
        final URI resource = URI.create("https://api.example/orders?page=1");
        final Secret token = Secret.of("eyJhbGciOiJFUzI1NiJ9." + "x".repeat(600) + ".sig");

        @Setup(Level.Trial)
        public void keys() throws Exception {
            es256 = DpopProofs.generate();
            rs256 = DpopProofs.of(new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).generate(),
                    java.time.InstantSource.system());
        }
    }

    @Benchmark
    public String tokenRequestProofEs256(Keys k) {
        return k.es256.proof("POST", k.tokenUrl);
    }

    @Benchmark
    public String resourceRequestProofEs256(Keys k) {
        return k.es256.proof("GET", k.resource, k.token);
    }

    @Benchmark
    public String tokenRequestProofRs256(Keys k) {
        return k.rs256.proof("POST", k.tokenUrl);
    }
}
