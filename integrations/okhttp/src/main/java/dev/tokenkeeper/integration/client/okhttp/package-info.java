/**
 * tokenkeeper for OkHttp: {@link dev.tokenkeeper.integration.client.okhttp.TokenInterceptor}, an
 * application interceptor following the shared rules of
 * {@link dev.tokenkeeper.domain.api.AuthenticatedRequests}. Depends on the domain's caller-facing
 * API only; OkHttp is the application's ({@code provided}).
 */
package dev.tokenkeeper.integration.client.okhttp;
