/**
 * tokenkeeper for Spring's {@code RestClient} (a {@code ClientHttpRequestInterceptor}) and
 * {@code WebClient} (an {@code ExchangeFilterFunction}), adding the token by the shared rules of the
 * domain's caller-facing API. The application brings Spring: an application with {@code RestClient}
 * only needs neither WebFlux nor Reactor, hence {@code requires static} for those.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Spring and Reactor: stable Automatic-Module-Names
module dev.tokenkeeper.integration.client.spring {
    requires transitive dev.tokenkeeper.domain;
    requires transitive spring.web; // TokenRequestInterceptor is a ClientHttpRequestInterceptor
    requires spring.core;
    requires static spring.webflux; // TokenExchangeFilter, for WebClient users
    requires static reactor.core;
    requires static org.reactivestreams;

    exports dev.tokenkeeper.integration.client.spring;
}
