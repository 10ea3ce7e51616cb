package dev.tokenkeeper.archfixture.application.internal;

/** An internal class: its own module may use it, no other module may. */
public final class InternalHelper {
    private InternalHelper() {
    }

    public static String describe(String name) {
        return "token " + name;
    }
}
