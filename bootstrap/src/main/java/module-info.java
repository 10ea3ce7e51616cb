/**
 * What an application embeds: {@code Tokenkeeper} (the one entry point), the configuration model,
 * the store factory and the metrics binder. Logging goes through the SLF4J API only; the CLI, the
 * sidecar, a logging backend, JDBC drivers and metrics registries live in tokenkeeper-runnable or in
 * the application (an enforcer rule in this module's pom keeps them out).
 *
 * <p>The local token file is a service ({@code LocalFiles}) that tokenkeeper-runnable provides.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer: a stable Automatic-Module-Name
module dev.tokenkeeper.bootstrap {
    requires transitive dev.tokenkeeper.application;
    requires transitive dev.tokenkeeper.adapter.http; // TokenkeeperConfig's clients hold a SecretSource; Tokenkeeper.vertx()
    requires dev.tokenkeeper.adapter.store.memory;
    requires dev.tokenkeeper.adapter.store.redis;
    requires dev.tokenkeeper.adapter.store.jdbc;
    requires transitive micrometer.core; // TokenMetrics binds to a MeterRegistry
    requires com.zaxxer.hikari;
    requires java.sql;
    requires org.slf4j;

    exports dev.tokenkeeper.bootstrap;
    exports dev.tokenkeeper.bootstrap.metrics;
    exports dev.tokenkeeper.bootstrap.persistence;

    uses dev.tokenkeeper.bootstrap.persistence.LocalFiles;
}
