package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.TestClock;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 13: the status page in a real browser, the distribution's headless Chromium driven by its
 * chromedriver. A sidecar runs in-process on an injected clock with three clients: "alpha" gets
 * two-minute tokens, "beta"'s secret is refused, "gamma"'s IdP answers 503 until its breaker opens.
 * The page must render every client's state, then follow the clock and a renewal by reloading
 * itself (the test never reloads it), apply its style sheet under its own Content-Security-Policy,
 * and never carry a token or a secret. The last state is saved as {@code target/status-page.png}
 * (the README's screenshot, {@code docs/status-page.png}, is a copy of one).
 *
 * <p>Without Chromium and chromedriver at {@value #CHROMIUM} and {@value #CHROMEDRIVER} the test is
 * skipped, and fails under {@code CI=true} ({@code .ci/chromium.sh} installs them).
 */
class StatusPageBrowserIT {

    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    /**
     * How long to wait for the page to show a state. Real time: the page's own reload timer runs in
     * the browser on the wall clock ({@code ?refresh=1}: once a second), which no test clock moves.
     */
    static final Duration PAGE_PATIENCE = Duration.ofSeconds(20);

    final SecretScanner scanner = new SecretScanner();
    final String alphaSecret = scanner.secret("page-alpha-secret-" + UUID.randomUUID());
    final String betaSecret = scanner.secret("page-beta-secret-" + UUID.randomUUID());
    final String gammaSecret = scanner.secret("page-gamma-secret-" + UUID.randomUUID());
    final TestClock clock = TestClock.at(Instant.parse("2026-12-01T09:00:00Z"));
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    FakeIdp alphaIdp;
    FakeIdp betaIdp;
    FakeIdp gammaIdp;
    Sidecar sidecar;
    ChromeDriverService driverService;
    WebDriver browser;
    final List<String> sources = new ArrayList<>();

    @BeforeEach
    void start(@TempDir Path profile) {
        if (!Files.isExecutable(Paths.get(CHROMIUM)) || !Files.isExecutable(Paths.get(CHROMEDRIVER))) {
            String message = "needs Chromium and chromedriver from the distribution (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver, or bash .ci/chromium.sh";
            if (RequiredServers.required()) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
        alphaIdp = FakeIdp.start().issueTokens(Duration.ofMinutes(2));
        betaIdp = FakeIdp.start().alwaysRespond(Response.json(401, "{\"error\":\"invalid_client\"}"));
        gammaIdp = FakeIdp.start().alwaysRespond(Response.status(503));
        Map<String, String> settings = new java.util.TreeMap<>(Map.of( // in name order, as the page lists them
                "clients.alpha.token-url", alphaIdp.tokenUri().toString(),
                "clients.alpha.client-id", "alpha",
                "clients.alpha.client-secret", alphaSecret,
                "clients.beta.token-url", betaIdp.tokenUri().toString(),
                "clients.beta.client-id", "beta",
                "clients.beta.client-secret", betaSecret,
                "clients.gamma.token-url", gammaIdp.tokenUri().toString(),
                "clients.gamma.client-id", "gamma",
                "clients.gamma.client-secret", gammaSecret,
                "store.type", "memory"));
        settings.putAll(Map.of(
                "sidecar.port", "0",
                "refresh.proactive", "false", // renewals happen when the test asks, not on a wall-clock timer
                "refresh.ahead", "30s",
                "resilience.attempts", "1",
                "breaker.failures", "2",
                "breaker.open-delay", "10m"));
        sidecar = Sidecar.launch(TokenkeeperConfig.from(Settings.of(settings)), clock);

        driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1280,1000");
        browser = new ChromeDriver(driverService, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));
    }

    @AfterEach
    void stop() {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (driverService != null) {
                driverService.stop();
            }
            if (sidecar != null) {
                sidecar.close();
            }
            for (FakeIdp idp : new FakeIdp[] {alphaIdp, betaIdp, gammaIdp}) {
                if (idp != null) {
                    idp.close();
                }
            }
        }
        try {
            if (alphaIdp != null) {
                List<String> tokens = alphaIdp.issuedTokens();
                for (String source : sources) {
                    for (String token : tokens) {
                        assertThat(source).as("the page source").doesNotContain(token);
                    }
                }
            }
            sources.forEach(scanner::seen);
            scanner.assertClean();
        } finally {
            scanner.close();
        }
    }

    @Test
    @DisplayName("the page renders each client's state in Chromium, follows the clock and a renewal by itself, "
            + "applies its style under its own CSP, and never shows a token")
    void rendersAndFollows() throws Exception {
        TokenKey alpha = sidecar.tokenkeeper().key("alpha");
        TokenKey gamma = sidecar.tokenkeeper().key("gamma");
        // keep-warm asks for every token at start; gamma's second failure opens its breaker
        Await.until("alpha holds a token, beta and gamma have failed", () -> sidecar.tokenkeeper().provider().status(alpha).isValid()
                && sidecar.tokenkeeper().provider().status(sidecar.tokenkeeper().key("beta")).lastError() != null
                && sidecar.tokenkeeper().provider().status(gamma).lastError() != null);
        sidecar.tokenkeeper().provider().tokenAsync(gamma).toCompletableFuture().handle((t, e) -> null).get(10, TimeUnit.SECONDS);
        sidecar.tokenkeeper().provider().tokenAsync(gamma).toCompletableFuture().handle((t, e) -> null).get(10, TimeUnit.SECONDS);

        browser.get(sidecar.uri().resolve("/?refresh=1").toString());
        waitFor("the first render", d -> text(d, "#client-alpha .validity").equals("valid"));
        String first = source();
        assertThat(browser.getTitle()).isEqualTo("tokenkeeper: 1/3 valid");
        assertThat(text(browser, "#summary")).isEqualTo("1 of 3 clients hold a valid token");
        assertThat(text(browser, "#client-alpha .expires")).startsWith("in 2m 00s");
        Instant refreshAt = sidecar.tokenkeeper().provider().status(alpha).refreshAt();
        assertThat(text(browser, "#client-alpha .refresh")).isEqualTo("in " + StatusPage.span(Duration.between(clock.instant(), refreshAt))
                + " (" + refreshAt.toString().substring(11, 19) + "Z)");
        assertThat(text(browser, "#client-alpha .source")).isEqualTo("idp");
        assertThat(text(browser, "#client-alpha .breaker")).isEqualTo("closed");
        assertThat(text(browser, "#client-alpha table.timeline tbody")).contains("token").doesNotContain("failed");
        assertThat(text(browser, "#client-beta .validity")).isEqualTo("no token");
        assertThat(text(browser, "#client-beta .failure")).startsWith("INVALID_CLIENT");
        assertThat(text(browser, "#client-beta table.timeline tbody tr.failure")).contains("failed").contains("INVALID_CLIENT");
        assertThat(text(browser, "#client-gamma .breaker")).isEqualTo("open");
        assertThat(text(browser, "#client-gamma .failure")).isNotEqualTo("none");
        assertThat(text(browser, "#client-gamma table.timeline tbody").split("failed", -1)).hasSizeGreaterThanOrEqualTo(3);
        // the style sheet applied: the policy's hash admits it (a blocked sheet leaves the header white)
        assertThat(script(browser, "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).backgroundColor : null;",
                "header")).isEqualTo("rgb(36, 41, 47)");
        assertThat(first).doesNotContain("<script");

        // the clock moves past alpha's expiry: the page shows it by itself
        clock.advance(Duration.ofMinutes(3));
        waitFor("alpha shown expired", d -> text(d, "#client-alpha .validity").equals("expired"));
        assertThat(text(browser, "#client-alpha .expires")).startsWith("1m 00s ago");
        assertThat(browser.getTitle()).isEqualTo("tokenkeeper: 0/3 valid");
        sources.add(source());

        // a caller renews it: the page shows the new token and a second acquisition, again by itself
        sidecar.tokenkeeper().provider().tokenAsync(alpha).toCompletableFuture().get(10, TimeUnit.SECONDS);
        // the success event (which the timeline records) follows the token's installation by a moment
        Await.until("the renewal is recorded", () -> pageOverHttp().split("<tr class=\"success\">", -1).length == 3);
        clock.advance(Duration.ofSeconds(20));
        waitFor("alpha renewed", d -> text(d, "#client-alpha .validity").equals("valid")
                && text(d, "#client-alpha table.timeline tbody").split("token", -1).length == 3);
        assertThat(text(browser, "#client-alpha .expires")).startsWith("in 1m 40s");
        assertThat(text(browser, "#client-alpha table.timeline tbody tr:first-child")).contains("20s ago").contains("token")
                .contains("caller");
        assertThat(alphaIdp.issuedTokens()).hasSize(2);

        Path shot = Paths.get("target", "status-page.png");
        browser.manage().window().setSize(new Dimension(1280, 1000));
        Files.copy(((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(shot)).isGreaterThan(10_000);
        sources.add(source());

        // the same page over plain HTTP: headers, HEAD, the Host rule and the method rule
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(StatusPage.CONTENT_SECURITY_POLICY);
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.body()).contains("<meta http-equiv=\"refresh\" content=\"5\">");
        sources.add(page.body());
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", sidecar.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 421").doesNotContain("alpha");
        }
    }

    void waitFor(String what, Function<WebDriver, Boolean> condition) {
        try {
            new WebDriverWait(browser, PAGE_PATIENCE, Duration.ofMillis(200))
                    .ignoring(org.openqa.selenium.WebDriverException.class) // the page replaces itself every second
                    .withMessage(what)
                    .until(condition::apply);
        } finally {
            sources.add(source());
        }
    }

    String pageOverHttp() {
        try {
            return http.send(HttpRequest.newBuilder(sidecar.uri().resolve("/")).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    String source() {
        return script(browser, "return document.documentElement ? document.documentElement.outerHTML : null;", "");
    }

    /**
     * An element's rendered text, read in one script call so that it cannot straddle one of the
     * page's own reloads (an element found before a reload is gone after it); read again while the
     * page is between documents. WebDriver's scripts are not the page's: its policy does not apply.
     */
    static String text(WebDriver d, String css) {
        return script(d, "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css).strip();
    }

    static String script(WebDriver d, String js, String arg) {
        for (int tries = 0; ; tries++) {
            try {
                Object value = ((org.openqa.selenium.JavascriptExecutor) d).executeScript(js, arg);
                if (value != null) {
                    return value.toString();
                }
            } catch (org.openqa.selenium.WebDriverException e) {
                if (tries >= 50) {
                    throw e;
                }
            }
            if (tries >= 50) {
                throw new org.openqa.selenium.NoSuchElementException(arg);
            }
            try {
                Thread.sleep(50); // real time: the browser is between two documents of its own reload
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
