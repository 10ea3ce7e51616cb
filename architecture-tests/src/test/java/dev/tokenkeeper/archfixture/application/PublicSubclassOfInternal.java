package dev.tokenkeeper.archfixture.application;

import dev.tokenkeeper.archfixture.application.internal.InternalBase;

/** Breaks "no internal type in a public signature": an API class whose supertype is internal. */
public class PublicSubclassOfInternal extends InternalBase {
    @Override
    protected String name() {
        return "public";
    }
}
