package dev.tokenkeeper.runnable.localstore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import org.h2.api.Trigger;

/**
 * A trigger on the class path that H2 instantiates (and so runs) when it opens a database naming it:
 * it creates {@link #marker} if one is set. Stands for any class an attacker could name in a file.
 */
public final class MarkerTrigger implements Trigger {

    /** Where to leave the mark; null while the hostile file is being made. */
    static volatile Path marker;

    public MarkerTrigger() {
        Path m = marker;
        if (m != null) {
            try {
                Files.writeString(m, "ran");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) {}
}
