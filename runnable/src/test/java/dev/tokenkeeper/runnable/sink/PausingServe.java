package dev.tokenkeeper.runnable.sink;

import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code tokenkeeper serve} with the sink writer paused for good in the middle of its second write
 * (a renewal): after the temporary file is complete, before the rename. It leaves a marker file
 * ({@code args[0]}) naming the temporary file, so that a test knows when to kill the process.
 */
public final class PausingServe {

    private PausingServe() {}

    public static void main(String[] args) {
        Path marker = Path.of(args[0]);
        AtomicInteger writes = new AtomicInteger();
        SinkFile.afterTempWritten = tmp -> {
            if (writes.incrementAndGet() == 2) {
                try {
                    Files.writeString(marker, tmp.toString());
                    Thread.sleep(Long.MAX_VALUE); // until kill -9
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        TokenkeeperCli.main(new String[] {"serve"});
    }
}
