/**
 * The Spring Boot starter: {@link dev.tokenkeeper.integration.spring.boot.TokenkeeperAutoConfiguration}
 * assembles tokenkeeper from {@code tokenkeeper.*} properties through the bootstrap module, and adds
 * RestClient/WebClient customisation, an Actuator health indicator, Micrometer metrics and a Spring
 * Security {@code OAuth2AuthorizedClientManager}.
 */
package dev.tokenkeeper.integration.spring.boot;
