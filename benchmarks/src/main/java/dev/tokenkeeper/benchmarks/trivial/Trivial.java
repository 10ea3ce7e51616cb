package dev.tokenkeeper.benchmarks.trivial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The floor of a command-line figure: a JVM that reads a file and prints it. Copied out and run on its own. */
public final class Trivial {
    private Trivial() {}

    public static void main(String[] args) throws IOException {
        System.out.println(Files.readString(Path.of(args[0])).strip());
    }
}
