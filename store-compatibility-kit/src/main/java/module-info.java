/**
 * The compatibility kit for {@code TokenStore} implementers: an abstract JUnit test to extend.
 *
 * <p>Extenders write JUnit tests against domain types, so the domain and the JUnit Jupiter API are
 * re-exported; AssertJ is used inside the kit only. The package is open because JUnit creates the
 * kit's package-private {@code @Nested} classes by reflection.
 */
module dev.tokenkeeper.store.tck {
    requires transitive dev.tokenkeeper.domain;
    requires transitive org.junit.jupiter.api;
    requires org.assertj.core;

    exports dev.tokenkeeper.store.tck;
    opens dev.tokenkeeper.store.tck;
}
