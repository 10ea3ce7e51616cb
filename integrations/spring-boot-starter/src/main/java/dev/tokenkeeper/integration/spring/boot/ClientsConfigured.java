package dev.tokenkeeper.integration.spring.boot;

import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Whether any tokenkeeper client is configured: a {@code tokenkeeper.clients.*} property or a client-credentials registration. */
final class ClientsConfigured implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        boolean own = TokenkeeperSettings.tokenkeeperProperties(context.getEnvironment()).keySet().stream()
                .anyMatch(k -> k.startsWith("clients."));
        boolean registrations = !"false".equalsIgnoreCase(
                context.getEnvironment().getProperty("tokenkeeper.spring.oauth2-client-registrations", "true"))
                && !TokenkeeperSettings.fromRegistrations(context.getEnvironment()).isEmpty();
        return own || registrations;
    }
}
