package dev.tokenkeeper.benchmarks;

import java.util.Arrays;

/**
 * Latency samples in nanoseconds, kept whole and sorted for exact percentiles (a run holds at most
 * a few million, so no histogram approximation is needed).
 */
public final class Samples {

    private long[] values = new long[1024];
    private int size;
    private boolean sorted = true;

    /** Adds one sample. */
    public synchronized void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
        sorted = false;
    }

    /** Adds the first {@code n} values of {@code nanos}. */
    public synchronized void addAll(long[] nanos, int n) {
        if (size + n > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + n));
        }
        System.arraycopy(nanos, 0, values, size, n);
        size += n;
        sorted = false;
    }

    /** How many samples. */
    public synchronized int count() {
        return size;
    }

    /**
     * The {@code p}-th percentile (0 &lt; p &le; 100) by the nearest-rank method, or -1 with no
     * samples.
     */
    public synchronized long percentile(double p) {
        if (size == 0) {
            return -1;
        }
        sort();
        int rank = (int) Math.ceil(p / 100.0 * size);
        return values[Math.max(0, Math.min(size, rank) - 1)];
    }

    /** The largest sample, or -1. */
    public synchronized long max() {
        if (size == 0) {
            return -1;
        }
        sort();
        return values[size - 1];
    }

    private void sort() {
        if (!sorted) {
            Arrays.sort(values, 0, size);
            sorted = true;
        }
    }

    /** Nanoseconds as a short human figure: {@code 850 ns}, {@code 12.3 µs}, {@code 51.2 ms}, {@code 1.20 s}. */
    public static String human(long nanos) {
        if (nanos < 0) {
            return "–";
        }
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000) {
            return String.format(java.util.Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        if (nanos < 1_000_000_000) {
            return String.format(java.util.Locale.ROOT, "%.1f ms", nanos / 1e6);
        }
        return String.format(java.util.Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
