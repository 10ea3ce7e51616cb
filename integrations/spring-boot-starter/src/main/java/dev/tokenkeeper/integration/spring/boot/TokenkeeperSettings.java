package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Turns Spring's environment into tokenkeeper {@link Settings}: every {@code tokenkeeper.*}
 * property (but the starter's own {@code tokenkeeper.spring.*}) is handed, as it is, to the same
 * parser the CLI and the sidecar use, so names, defaults and error messages are the same
 * everywhere. Client-credentials registrations of Spring Security
 * ({@code spring.security.oauth2.client.registration.*}) become clients of the same name unless
 * {@code tokenkeeper.spring.oauth2-client-registrations=false}; a {@code tokenkeeper.clients.<name>.*}
 * setting overrides what a registration says.
 */
final class TokenkeeperSettings {

    static final String PREFIX = "tokenkeeper";
    static final String SPRING = "spring.";

    private TokenkeeperSettings() {}

    /**
     * The {@code tokenkeeper.*} properties of the application's own sources (files, command line,
     * tests), not of the JVM's system properties or the environment: {@code TOKENKEEPER_*}
     * variables already mean something to tokenkeeper's own settings reader (which is given the
     * environment for the {@code *-env} settings), and a build's {@code -Dtokenkeeper.*} switches
     * are not the application's configuration.
     */
    static Map<String, String> tokenkeeperProperties(Environment environment) {
        if (!(environment instanceof ConfigurableEnvironment configurable)) {
            return Binder.get(environment).bind(PREFIX, Bindable.mapOf(String.class, String.class)).orElseGet(Map::of);
        }
        List<ConfigurationPropertySource> sources = new ArrayList<>();
        for (PropertySource<?> source : configurable.getPropertySources()) {
            if (source.getName().equals(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)
                    || source.getName().equals(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME)
                    || source instanceof PropertySource.StubPropertySource) {
                continue;
            }
            ConfigurationPropertySource converted = ConfigurationPropertySource.from(source);
            if (converted != null) {
                sources.add(converted);
            }
        }
        return new Binder(sources).bind(PREFIX, Bindable.mapOf(String.class, String.class)).orElseGet(Map::of);
    }

    static Settings from(Environment environment) {
        Map<String, String> own = tokenkeeperProperties(environment);
        Map<String, String> values = new LinkedHashMap<>();
        if (!"false".equalsIgnoreCase(own.getOrDefault("spring.oauth2-client-registrations", "true"))) {
            values.putAll(fromRegistrations(environment));
        }
        own.forEach((k, v) -> {
            if (k.startsWith(SPRING)) {
                return;
            }
            if (v == null || v.isBlank()) {
                values.remove(k); // an empty property unsets, as Spring users expect (--x= overrides a file's x)
            } else {
                values.put(k, v);
            }
        });
        return Settings.of(values, System.getenv(), "Spring property tokenkeeper.*");
    }

    /** Clients from Spring Security's client_credentials registrations. */
    static Map<String, String> fromRegistrations(Environment environment) {
        Map<String, String> client = Binder.get(environment)
                .bind("spring.security.oauth2.client", Bindable.mapOf(String.class, String.class)).orElseGet(Map::of);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : client.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("registration.") || !k.endsWith(".authorization-grant-type")
                    || !e.getValue().strip().equalsIgnoreCase("client_credentials")) {
                continue;
            }
            String id = k.substring("registration.".length(), k.length() - ".authorization-grant-type".length());
            String r = "registration." + id + ".";
            String provider = client.getOrDefault(r + "provider", id);
            String tokenUri = client.get("provider." + provider + ".token-uri");
            String c = "clients." + id + ".";
            if (tokenUri != null) {
                out.put(c + "token-url", tokenUri);
            }
            copy(client, r + "client-id", out, c + "client-id");
            copy(client, r + "client-secret", out, c + "client-secret");
            String scope = client.get(r + "scope");
            if (scope != null) {
                out.put(c + "scope", String.join(" ", scope.split("\\s*,\\s*")));
            }
            String method = client.get(r + "client-authentication-method");
            if (method != null) {
                out.put(c + "auth-method", method.strip().toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static void copy(Map<String, String> from, String key, Map<String, String> to, String as) {
        String v = from.get(key);
        if (v != null) {
            to.put(as, v);
        }
    }
}
