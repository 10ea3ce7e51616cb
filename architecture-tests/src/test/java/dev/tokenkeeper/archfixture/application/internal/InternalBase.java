package dev.tokenkeeper.archfixture.application.internal;

/** An internal base class: its own module may extend it, but not in a public API class. */
public abstract class InternalBase {
    protected abstract String name();
}
