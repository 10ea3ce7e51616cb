package dev.tokenkeeper.benchmarks;

/** One library instance as a caller sees it: "give me a token value". */
public interface TokenSource extends AutoCloseable {

    /** A token value (or an {@code Authorization} header value carrying one). */
    String token() throws Exception;

    @Override
    void close();
}
