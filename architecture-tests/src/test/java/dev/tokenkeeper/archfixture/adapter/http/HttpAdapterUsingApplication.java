package dev.tokenkeeper.archfixture.adapter.http;

import dev.tokenkeeper.archfixture.application.CleanService;

/** Breaks "adapters depend on no module but the domain" (and the layers): an adapter calls the core. */
public final class HttpAdapterUsingApplication {
    private final CleanService service = new CleanService();

    public String describe() {
        return service.describe(null);
    }
}
