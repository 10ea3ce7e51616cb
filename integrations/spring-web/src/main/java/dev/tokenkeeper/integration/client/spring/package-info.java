/**
 * tokenkeeper for Spring's HTTP clients: {@link dev.tokenkeeper.integration.client.spring.TokenRequestInterceptor}
 * ({@code RestClient}, {@code RestTemplate}) and {@link dev.tokenkeeper.integration.client.spring.TokenExchangeFilter}
 * ({@code WebClient}), following the shared rules of
 * {@link dev.tokenkeeper.domain.api.AuthenticatedRequests}. Depends on the domain's caller-facing
 * API only; Spring is the application's ({@code provided}).
 */
package dev.tokenkeeper.integration.client.spring;
