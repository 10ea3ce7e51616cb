package dev.tokenkeeper.archfixture.stray;

/** Breaks the layers: a package root that no layer names. */
public final class UnplacedModule {
}
