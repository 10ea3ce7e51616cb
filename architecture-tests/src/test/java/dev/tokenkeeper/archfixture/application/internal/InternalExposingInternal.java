package dev.tokenkeeper.archfixture.application.internal;

/** Keeps "no internal type in a public signature": internal classes are not API, so may show each other. */
public final class InternalExposingInternal extends InternalBase {
    public InternalHelper helper() {
        return null;
    }

    @Override
    protected String name() {
        return "internal";
    }
}
