package dev.tokenkeeper.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;

/**
 * Checks the main classes of every tokenkeeper module (as found on this module's test classpath)
 * against {@link TokenkeeperRules}. Test classes are left out: a test may build whatever it needs.
 */
@AnalyzeClasses(packages = TokenkeeperArchitectureTest.ROOT, importOptions = ImportOption.DoNotIncludeTests.class)
class TokenkeeperArchitectureTest {

    static final String ROOT = "dev.tokenkeeper";

    private static final TokenkeeperRules RULES = TokenkeeperRules.forRoot(ROOT);

    /**
     * Modules that must have main classes on the classpath, so that a rule cannot pass because a
     * module went missing. Bootstrap joins the list once it has code.
     */
    private static final List<String> MODULE_ROOTS = List.of(
            "domain", "domain.api", "domain.spi", "application", "adapter.http", "adapter.store.memory",
            "adapter.store.redis", "adapter.store.jdbc", "store.tck", "testsupport", "fakeidp", "bootstrap", "runnable",
            "integration.client.jdk", "integration.client.okhttp", "integration.client.spring", "integration.tck",
            "integration.spring.boot");

    @ArchTest
    static void the_rules_see_every_module(JavaClasses classes) {
        for (String module : MODULE_ROOTS) {
            assertThat(classes.containPackage(ROOT + "." + module))
                    .as("main classes of %s.%s are imported", ROOT, module)
                    .isTrue();
        }
    }

    @ArchTest
    static final ArchRule domain_depends_only_on_the_jdk = RULES.domainDependsOnlyOnTheJdk();

    @ArchTest
    static final ArchRule domain_api_and_spi_are_independent = RULES.domainApiAndSpiAreIndependent();

    @ArchTest
    static final ArchRule domain_root_uses_neither_api_nor_spi = RULES.domainRootUsesNeitherApiNorSpi();

    @ArchTest
    static final ArchRule adapters_depend_on_no_module_but_the_domain = RULES.adaptersDependOnNoModuleButTheDomain();

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_each_other = RULES.adaptersDoNotDependOnEachOther();

    @ArchTest
    static final ArchRule store_adapters_do_not_depend_on_each_other = RULES.storeAdaptersDoNotDependOnEachOther();

    @ArchTest
    static final ArchRule application_uses_no_infrastructure = RULES.applicationUsesNoInfrastructure();

    @ArchTest
    static final ArchRule only_bootstrap_wires_adapters = RULES.onlyBootstrapWiresAdapters();

    @ArchTest
    static final ArchRule core_api_exposes_no_vendor_types = RULES.coreApiExposesNoVendorTypes();

    @ArchTest
    static final ArchRule failsafe_stays_in_the_application_implementation =
            RULES.failsafeStaysInTheApplicationImplementation();

    @ArchTest
    static final ArchRule internal_packages_are_used_only_by_their_owner = RULES.internalPackagesAreUsedOnlyByTheirOwner();

    @ArchTest
    static final ArchRule no_internal_type_in_public_api = RULES.noInternalTypeInPublicApi();

    @ArchTest
    static final ArchRule client_integrations_use_only_the_caller_facing_port =
            RULES.clientIntegrationsUseOnlyTheCallerFacingPort();

    @ArchTest
    static final ArchRule client_integrations_do_not_depend_on_each_other =
            RULES.clientIntegrationsDoNotDependOnEachOther();

    @ArchTest
    static final ArchRule compatibility_kit_depends_only_on_domain_junit_and_assertj =
            RULES.compatibilityKitDependsOnlyOnDomainJUnitAndAssertJ();
}
