/**
 * tokenkeeper for OkHttp: an {@code Interceptor} that adds the token by the shared rules of the
 * domain's caller-facing API. The application brings OkHttp (a named module, {@code okhttp3}, since
 * 5.0).
 */
module dev.tokenkeeper.integration.client.okhttp {
    requires transitive dev.tokenkeeper.domain;
    requires transitive okhttp3; // TokenInterceptor is an okhttp3.Interceptor

    exports dev.tokenkeeper.integration.client.okhttp;
}
