package dev.tokenkeeper.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.tokenkeeper.archfixture.adapter.http.HttpAdapterUsingApplication;
import dev.tokenkeeper.archfixture.adapter.http.HttpAdapterUsingDomainPort;
import dev.tokenkeeper.archfixture.adapter.http.HttpAdapterUsingMemoryStore;
import dev.tokenkeeper.archfixture.adapter.store.jdbc.FixtureJdbcStore;
import dev.tokenkeeper.archfixture.adapter.store.memory.FixtureMemoryStore;
import dev.tokenkeeper.archfixture.adapter.store.redis.RedisStoreUsingJdbcStore;
import dev.tokenkeeper.archfixture.application.CleanService;
import dev.tokenkeeper.archfixture.integration.client.jdk.CleanClientIntegration;
import dev.tokenkeeper.archfixture.integration.client.okhttp.ClientIntegrationUsingAnother;
import dev.tokenkeeper.archfixture.integration.client.okhttp.ClientIntegrationUsingSpi;
import dev.tokenkeeper.archfixture.application.FailsafeInsidePublicClass;
import dev.tokenkeeper.archfixture.application.FailsafePolicyInSignature;
import dev.tokenkeeper.archfixture.application.InternalTypeInSignature;
import dev.tokenkeeper.archfixture.application.PublicSubclassOfInternal;
import dev.tokenkeeper.archfixture.application.VertxCallingService;
import dev.tokenkeeper.archfixture.application.VertxFutureInGenericSignature;
import dev.tokenkeeper.archfixture.application.WiresMemoryStoreItself;
import dev.tokenkeeper.archfixture.application.internal.FailsafeCall;
import dev.tokenkeeper.archfixture.application.internal.InternalExposingInternal;
import dev.tokenkeeper.archfixture.bootstrap.FixtureWiring;
import dev.tokenkeeper.archfixture.bootstrap.UsesApplicationInternals;
import dev.tokenkeeper.archfixture.domain.CleanDomainType;
import dev.tokenkeeper.archfixture.domain.LeakyDomainType;
import dev.tokenkeeper.archfixture.domain.RootUsingApi;
import dev.tokenkeeper.archfixture.domain.api.FixtureProvider;
import dev.tokenkeeper.archfixture.domain.api.ProviderUsingSpi;
import dev.tokenkeeper.archfixture.domain.spi.FixtureStore;
import dev.tokenkeeper.archfixture.domain.port.VertxFuturePort;
import dev.tokenkeeper.archfixture.store.tck.CleanKit;
import dev.tokenkeeper.archfixture.store.tck.KitUsingJedis;
import dev.tokenkeeper.archfixture.stray.UnplacedModule;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Proves that the rules bite: the very definitions that {@link TokenkeeperArchitectureTest} checks
 * against {@code dev.tokenkeeper} are checked here against the classes in
 * {@code dev.tokenkeeper.archfixture}, and must report the class that breaks them, by name, while
 * sparing the classes next to it that keep them. A rule that passes everything would pass here too,
 * and this test would fail.
 */
@DisplayName("The architecture rules catch a class that breaks them")
class TokenkeeperRulesCatchViolationsTest {

    private static final String FIXTURE_ROOT = "dev.tokenkeeper.archfixture";
    private static final TokenkeeperRules RULES = TokenkeeperRules.forRoot(FIXTURE_ROOT);

    /** The first {@code <…>} of a report line: the class or member the violation starts at. */
    private static final Pattern ORIGIN = Pattern.compile("^\\s*(?:Class|Interface|Method|Constructor|Field|Static Initializer)? ?<([^>(]+)");

    private static JavaClasses fixtures;

    @BeforeAll
    static void importFixtures() {
        fixtures = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
                .importPackages(FIXTURE_ROOT);
    }

    @Test
    @DisplayName("a domain class that uses a logging library")
    void domainDependsOnlyOnTheJdk() {
        assertCatches(RULES.domainDependsOnlyOnTheJdk(), new Class<?>[] {LeakyDomainType.class, VertxFuturePort.class},
                CleanDomainType.class);
    }

    @Test
    @DisplayName("a caller-facing domain.api type that hands out a domain.spi type")
    void domainApiAndSpiAreIndependent() {
        assertCatches(RULES.domainApiAndSpiAreIndependent(), new Class<?>[] {ProviderUsingSpi.class},
                FixtureProvider.class, FixtureStore.class, RootUsingApi.class);
    }

    @Test
    @DisplayName("a domain root type that uses domain.api")
    void domainRootUsesNeitherApiNorSpi() {
        assertCatches(RULES.domainRootUsesNeitherApiNorSpi(), new Class<?>[] {RootUsingApi.class},
                CleanDomainType.class, FixtureProvider.class, ProviderUsingSpi.class);
    }

    @Test
    @DisplayName("an adapter that uses the application, or a domain package that is not root, api or spi")
    void adaptersDependOnNoModuleButTheDomain() {
        assertCatches(RULES.adaptersDependOnNoModuleButTheDomain(),
                new Class<?>[] {HttpAdapterUsingApplication.class, HttpAdapterUsingDomainPort.class},
                FixtureMemoryStore.class, HttpAdapterUsingMemoryStore.class);
    }

    @Test
    @DisplayName("the HTTP adapter that uses a store adapter")
    void adaptersDoNotDependOnEachOther() {
        assertCatches(RULES.adaptersDoNotDependOnEachOther(), new Class<?>[] {HttpAdapterUsingMemoryStore.class},
                RedisStoreUsingJdbcStore.class, HttpAdapterUsingApplication.class);
    }

    @Test
    @DisplayName("the Redis store that uses the JDBC store")
    void storeAdaptersDoNotDependOnEachOther() {
        assertCatches(RULES.storeAdaptersDoNotDependOnEachOther(), new Class<?>[] {RedisStoreUsingJdbcStore.class},
                HttpAdapterUsingMemoryStore.class);
    }

    @Test
    @DisplayName("an application class that uses Vert.x or an adapter")
    void applicationUsesNoInfrastructure() {
        assertCatches(RULES.applicationUsesNoInfrastructure(),
                new Class<?>[] {VertxCallingService.class, WiresMemoryStoreItself.class, VertxFutureInGenericSignature.class},
                CleanService.class, FailsafeInsidePublicClass.class);
    }

    @Test
    @DisplayName("a class outside bootstrap that wires an adapter, and a package no layer names")
    void onlyBootstrapWiresAdapters() {
        assertCatches(RULES.onlyBootstrapWiresAdapters(),
                new Class<?>[] {WiresMemoryStoreItself.class, HttpAdapterUsingApplication.class, UnplacedModule.class},
                FixtureWiring.class, CleanService.class);
    }

    @Test
    @DisplayName("a Vert.x future or a Failsafe policy in a public signature of the core")
    void coreApiExposesNoVendorTypes() {
        assertCatches(RULES.coreApiExposesNoVendorTypes(),
                new Class<?>[] {VertxFuturePort.class, FailsafePolicyInSignature.class, VertxFutureInGenericSignature.class},
                FailsafeInsidePublicClass.class, FailsafeCall.class, "PackagePrivateRetry", CleanService.class);
    }

    @Test
    @DisplayName("a public application class that uses Failsafe outside an internal package")
    void failsafeStaysInTheApplicationImplementation() {
        assertCatches(RULES.failsafeStaysInTheApplicationImplementation(),
                new Class<?>[] {FailsafeInsidePublicClass.class, FailsafePolicyInSignature.class},
                FailsafeCall.class, "PackagePrivateRetry");
    }

    @Test
    @DisplayName("bootstrap that uses a class of application.internal")
    void internalPackagesAreUsedOnlyByTheirOwner() {
        assertCatches(RULES.internalPackagesAreUsedOnlyByTheirOwner(), new Class<?>[] {UsesApplicationInternals.class},
                CleanService.class);
    }

    @Test
    @DisplayName("a public class with an internal type in its signature or as its supertype")
    void noInternalTypeInPublicApi() {
        assertCatches(RULES.noInternalTypeInPublicApi(),
                new Class<?>[] {InternalTypeInSignature.class, PublicSubclassOfInternal.class},
                CleanService.class, "PackagePrivateInternalUser", InternalExposingInternal.class);
    }

    @Test
    @DisplayName("a compatibility kit that uses Jedis")
    void compatibilityKitDependsOnlyOnDomainJUnitAndAssertJ() {
        assertCatches(RULES.compatibilityKitDependsOnlyOnDomainJUnitAndAssertJ(), new Class<?>[] {KitUsingJedis.class},
                CleanKit.class);
    }

    @Test
    @DisplayName("every rule has a fixture that breaks it")
    void everyRuleFailsOnTheFixtures() {
        for (ArchRule rule : RULES.all()) {
            assertThatThrownBy(() -> rule.check(fixtures))
                    .as(rule.getDescription())
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Test
    @DisplayName("the internal package of a.b.internal.c belongs to a.b")
    void ownerOfInternalPackage() {
        assertThat(TokenkeeperRules.ownerOfInternalPackage("a.b.internal")).isEqualTo("a.b");
        assertThat(TokenkeeperRules.ownerOfInternalPackage("a.b.internal.c")).isEqualTo("a.b");
        assertThat(TokenkeeperRules.ownerOfInternalPackage("a.b.internals")).isNull();
        assertThat(TokenkeeperRules.ownerOfInternalPackage("a.b")).isNull();
    }

    /**
     * The rule must fail on the fixtures, name every violator in its report, and report no
     * violation that starts at a class that keeps it (given as a class, or as the simple name of a
     * package-private application class). A line of an ArchUnit report starts with its origin:
     * {@code Method <a.B.m()> calls …}.
     */
    @Test
    @DisplayName("an HTTP client integration that reaches past the caller-facing port")
    void clientIntegrationsUseOnlyTheCallerFacingPort() {
        assertCatches(RULES.clientIntegrationsUseOnlyTheCallerFacingPort(),
                new Class<?>[] {ClientIntegrationUsingSpi.class}, CleanClientIntegration.class,
                ClientIntegrationUsingAnother.class);
    }

    @Test
    @DisplayName("an HTTP client integration that uses another")
    void clientIntegrationsDoNotDependOnEachOther() {
        assertCatches(RULES.clientIntegrationsDoNotDependOnEachOther(),
                new Class<?>[] {ClientIntegrationUsingAnother.class}, CleanClientIntegration.class,
                ClientIntegrationUsingSpi.class);
    }

    private static void assertCatches(ArchRule rule, Class<?>[] violators, Object... spared) {
        assertThatThrownBy(() -> rule.check(fixtures))
                .as(rule.getDescription())
                .isInstanceOf(AssertionError.class)
                .satisfies(error -> {
                    String report = error.getMessage();
                    for (Class<?> violator : violators) {
                        assertThat(report).as("report of the rule").contains(violator.getName());
                    }
                    List<String> origins = report.lines()
                            .map(line -> ORIGIN.matcher(line))
                            .filter(Matcher::find)
                            .map(matcher -> matcher.group(1))
                            .toList();
                    assertThat(origins).as("origins of the violations in the report").isNotEmpty();
                    for (Object keeper : spared) {
                        String name = keeper instanceof Class<?> c ? c.getName() : FIXTURE_ROOT + ".application." + keeper;
                        assertThat(origins).as("origins of the violations in the report")
                                .noneMatch(origin -> origin.equals(name) || origin.startsWith(name + ".")
                                        || origin.startsWith(name + "$"));
                    }
                });
    }
}
