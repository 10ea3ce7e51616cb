package dev.tokenkeeper.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static java.util.Objects.requireNonNull;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaTypeVariable;
import com.tngtech.archunit.core.domain.PackageMatchers;
import com.tngtech.archunit.core.domain.properties.HasModifiers;
import com.tngtech.archunit.core.domain.properties.HasSourceCodeLocation;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The architecture of tokenkeeper (docs/ARCHITECTURE.md) as ArchUnit rules.
 *
 * <p>Every rule is built for a package root, so that the same definition is checked against the
 * real code ({@code dev.tokenkeeper}, in {@code TokenkeeperArchitectureTest}) and against classes
 * that break it on purpose ({@code dev.tokenkeeper.archfixture}, in
 * {@code TokenkeeperRulesCatchViolationsTest}). Below the root, a module's packages are always
 * {@code domain}, {@code application}, {@code adapter.<technology>} (storage adapters under
 * {@code adapter.store.<technology>}), {@code store.tck}, {@code testsupport}, {@code fakeidp} and
 * {@code bootstrap}.
 *
 * <p>Instances are immutable and thread-safe; every method returns a new rule.
 */
final class TokenkeeperRules {

    /** Libraries whose types must stay behind a port, never in the API of the core. */
    static final List<String> VENDOR_PACKAGES = List.of(
            "io.vertx..", "io.netty..", "dev.failsafe..", "redis.clients..", "org.jdbi..", "com.zaxxer..");

    /** Technologies the application must not touch at all (Failsafe is allowed, see below). */
    static final List<String> INFRASTRUCTURE_PACKAGES = List.of(
            "io.vertx..", "io.netty..", "redis.clients..", "org.jdbi..", "com.zaxxer..");

    private final String root;
    private final String domain;
    private final String domainRoot;
    private final String domainApi;
    private final String domainSpi;
    private final String application;
    private final String adapters;
    private final String storeAdapters;
    private final String bootstrap;
    private final String runnable;
    private final String compatibilityKit;
    private final String testSupport;
    private final String fakeIdp;
    private final String clientIntegrations;
    private final String clientKit;
    private final String starter;
    private final String examples;

    private TokenkeeperRules(String root) {
        this.root = requireNonNull(root, "root");
        this.domain = root + ".domain..";
        this.domainRoot = root + ".domain";
        this.domainApi = root + ".domain.api..";
        this.domainSpi = root + ".domain.spi..";
        this.application = root + ".application..";
        this.adapters = root + ".adapter..";
        this.storeAdapters = root + ".adapter.store..";
        this.bootstrap = root + ".bootstrap..";
        this.runnable = root + ".runnable..";
        this.compatibilityKit = root + ".store.tck..";
        this.testSupport = root + ".testsupport..";
        this.fakeIdp = root + ".fakeidp..";
        this.clientIntegrations = root + ".integration.client..";
        this.clientKit = root + ".integration.tck..";
        this.starter = root + ".integration.spring.boot..";
        this.examples = root + ".example..";
    }

    /** The rules for the modules whose packages sit below {@code root}, e.g. {@code dev.tokenkeeper}. */
    static TokenkeeperRules forRoot(String root) {
        return new TokenkeeperRules(root);
    }

    // ---------------------------------------------------------------- 1. the domain is pure Java

    ArchRule domainDependsOnlyOnTheJdk() {
        return classes().that().resideInAPackage(domain)
                .should().onlyDependOnClassesThat().resideInAnyPackage(domain, "java..")
                .because("the domain is the stable centre of the hexagon: value types, policies and "
                        + "ports in plain Java, so that every adapter and every user can depend on it "
                        + "without pulling in a library or another tokenkeeper module");
    }

    ArchRule domainApiAndSpiAreIndependent() {
        return slices().matching(root + ".domain.(*)..").namingSlices("domain.$1")
                .should().notDependOnEachOther()
                .because("the caller-facing api and the implementer-facing spi serve two audiences: "
                        + "each is built on the shared domain root only, so a caller never sees what a "
                        + "store or endpoint implements, and either can change without the other");
    }

    ArchRule domainRootUsesNeitherApiNorSpi() {
        return noClasses().that().resideInAPackage(domainRoot)
                .should().dependOnClassesThat().resideInAnyPackage(domainApi, domainSpi)
                .because("the domain root is the vocabulary both api and spi are written in (TokenKey, "
                        + "AccessToken, Secret, TokenException); if it used either, the two audiences "
                        + "would be tied together through it");
    }

    // ---------------------------------------------------------------- 2. adapters stand alone

    ArchRule adaptersDependOnNoModuleButTheDomain() {
        return noClasses().that().resideInAPackage(adapters)
                .should().dependOnClassesThat(resideInAPackage(root + "..")
                        .and(not(resideInAnyPackage(domainRoot, domainApi, domainSpi, adapters)))
                        .as("are tokenkeeper classes outside the domain root, domain.api and domain.spi"))
                .because("an adapter implements a domain port (spi) with one technology, in the domain's "
                        + "vocabulary (root, api); reaching into the application, the bootstrap, the "
                        + "test fixtures or a domain package without a declared audience would tie it to "
                        + "one way of wiring and make it impossible to ship or reuse on its own");
    }

    ArchRule adaptersDoNotDependOnEachOther() {
        return slices().matching(root + ".adapter.(*)..").namingSlices("adapter '$1'")
                .should().notDependOnEachOther()
                .because("each adapter is its own artifact with its own technology: the HTTP endpoint "
                        + "must work with any store, and a store with any endpoint");
    }

    ArchRule storeAdaptersDoNotDependOnEachOther() {
        return slices().matching(root + ".adapter.store.(*)..").namingSlices("store adapter '$1'")
                .should().notDependOnEachOther()
                .because("a user picks one store (memory, Redis, JDBC, …) and must not be forced to "
                        + "carry the driver of another");
    }

    // ---------------------------------------------------------------- 3. the application knows ports only

    ArchRule applicationUsesNoInfrastructure() {
        List<String> forbidden = new ArrayList<>(INFRASTRUCTURE_PACKAGES);
        forbidden.add(adapters);
        return noClasses().that().resideInAPackage(application)
                .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(String[]::new))
                .because("the application orchestrates through the domain ports; HTTP, Redis, JDBC and "
                        + "connection pools belong to the adapters, so that each can be swapped or left "
                        + "out without touching the token manager");
    }

    // ---------------------------------------------------------------- 4. only bootstrap wires adapters

    /**
     * The module graph as layers. {@code layeredArchitecture()} rather than
     * {@code onionArchitecture()}: the onion form forbids every access to adapters, including the
     * one module whose job is to wire them.
     */
    ArchRule onlyBootstrapWiresAdapters() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                // a layer may be empty while the module is being written; a wrong root is still
                // caught by the other rules, which fail when they match no class
                .withOptionalLayers(true)
                .layer("Domain").definedBy(domain)
                .layer("Application").definedBy(application)
                .layer("Adapters").definedBy(adapters)
                .layer("Bootstrap").definedBy(bootstrap)
                .layer("Runnable").definedBy(runnable)
                .layer("CompatibilityKit").definedBy(compatibilityKit)
                .layer("TestSupport").definedBy(testSupport)
                .layer("FakeIdp").definedBy(fakeIdp)
                .layer("ClientIntegrations").definedBy(clientIntegrations)
                .layer("ClientKit").definedBy(clientKit)
                .layer("Starter").definedBy(starter)
                .layer("Examples").definedBy(examples)

                .whereLayer("Domain").mayNotAccessAnyLayer()
                .whereLayer("Application").mayOnlyAccessLayers("Domain")
                .whereLayer("Adapters").mayOnlyAccessLayers("Domain")
                .whereLayer("Adapters").mayOnlyBeAccessedByLayers("Bootstrap", "Runnable")
                .whereLayer("CompatibilityKit").mayOnlyAccessLayers("Domain")
                .whereLayer("CompatibilityKit").mayNotBeAccessedByAnyLayer()
                .whereLayer("TestSupport").mayNotBeAccessedByAnyLayer()
                // a stand-alone fake token endpoint for tests, the demo and the benchmarks; of the
                // main code only the demo (in the runnable) runs it
                .whereLayer("FakeIdp").mayNotAccessAnyLayer()
                .whereLayer("FakeIdp").mayOnlyBeAccessedByLayers("Runnable", "ClientKit")
                .whereLayer("Bootstrap").mayOnlyBeAccessedByLayers("Runnable", "ClientKit", "Starter")
                // HTTP client integrations: thin adapters of the caller-facing port (see rule 8)
                .whereLayer("ClientIntegrations").mayOnlyAccessLayers("Domain")
                .whereLayer("ClientIntegrations").mayOnlyBeAccessedByLayers("Starter", "Examples")
                .whereLayer("ClientKit").mayOnlyAccessLayers("Domain", "Bootstrap", "FakeIdp")
                .whereLayer("ClientKit").mayNotBeAccessedByAnyLayer()
                .whereLayer("Starter").mayOnlyAccessLayers("Domain", "Application", "Bootstrap", "ClientIntegrations")
                .whereLayer("Starter").mayOnlyBeAccessedByLayers("Examples")
                .whereLayer("Examples").mayNotBeAccessedByAnyLayer()
                .whereLayer("Runnable").mayNotBeAccessedByAnyLayer()

                .ensureAllClassesAreContainedInArchitecture()
                .because("bootstrap is the only place that knows every module: it chooses the "
                        + "adapters from configuration and hands them to the application as ports; "
                        + "a new package root must be given its place here before it can be used");
    }

    // ---------------------------------------------------------------- 5. vendor types stay behind the port

    ArchRule coreApiExposesNoVendorTypes() {
        return classes().that().resideInAnyPackage(domain, application)
                .and(arePublicApi())
                .should(exposeNoTypesFrom(VENDOR_PACKAGES))
                .because("Vert.x futures, Failsafe policies, Jedis and Jdbi are implementation choices; "
                        + "once in a public signature of the domain or the application every user "
                        + "depends on them and they can never be replaced");
    }

    ArchRule failsafeStaysInTheApplicationImplementation() {
        return noClasses().that().resideInAPackage(application)
                .and(arePublicApi())
                .should().dependOnClassesThat().resideInAPackage("dev.failsafe..")
                .because("Failsafe is how the application implements timeout, retry and circuit "
                        + "breaker, not part of its API: it lives in package-private classes or in "
                        + "'internal' packages, so the public types stay free to change it");
    }

    // ---------------------------------------------------------------- 6. internal means internal

    ArchRule internalPackagesAreUsedOnlyByTheirOwner() {
        return classes().that().resideInAPackage(root + "..")
                .should(notUseInternalClassesOfAnotherPackageTree())
                .because("packages named 'internal' are not API: a class in <x>.internal.. may change "
                        + "or disappear in any release, so only code under <x> may use it");
    }

    ArchRule noInternalTypeInPublicApi() {
        return classes().that().resideInAPackage(root + "..")
                .and(arePublicApi())
                .should(exposeNoTypesFrom(List.of(root + "..internal..")))
                .because("module-info does not export the 'internal' packages: a public API class "
                        + "that names an internal type in a supertype, field or method signature "
                        + "could not be used from another module, and would make the internal type "
                        + "part of the API after all");
    }

    // ---------------------------------------------------------------- 7. the kit is light

    ArchRule compatibilityKitDependsOnlyOnDomainJUnitAndAssertJ() {
        return classes().that().resideInAPackage(compatibilityKit)
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", domain, compatibilityKit, "org.junit..", "org.assertj..")
                .because("the kit is shipped to everyone who writes a storage adapter; it may only "
                        + "force the domain, JUnit and AssertJ on them, never our application, our "
                        + "adapters or a server library");
    }

    // ---------------------------------------------------------------- 8. HTTP client integrations are thin

    ArchRule clientIntegrationsUseOnlyTheCallerFacingPort() {
        return noClasses().that().resideInAPackage(clientIntegrations)
                .should().dependOnClassesThat(resideInAPackage(root + "..")
                        .and(not(resideInAnyPackage(domainRoot, domainApi, clientIntegrations)))
                        .as("are tokenkeeper classes outside the domain root and domain.api"))
                .because("the rules of an authenticated request (when to replay, invalidate-if-current, "
                        + "where the token may go) live once, in domain.api's AuthenticatedRequests; a "
                        + "client integration only translates its client's request and response, so it "
                        + "may use the caller-facing port and nothing of the application, the adapters, "
                        + "the spi or the bootstrap");
    }

    ArchRule clientIntegrationsDoNotDependOnEachOther() {
        return slices().matching(root + ".integration.client.(*)..").namingSlices("client integration '$1'")
                .should().notDependOnEachOther()
                .because("each client integration is its own artifact with its client library as a "
                        + "provided dependency; one must never drag in another's client");
    }

    /** Every rule, in the order of docs/ARCHITECTURE.md, for tools that want to iterate. */
    List<ArchRule> all() {
        return List.of(
                domainDependsOnlyOnTheJdk(),
                domainApiAndSpiAreIndependent(),
                domainRootUsesNeitherApiNorSpi(),
                adaptersDependOnNoModuleButTheDomain(),
                adaptersDoNotDependOnEachOther(),
                storeAdaptersDoNotDependOnEachOther(),
                applicationUsesNoInfrastructure(),
                onlyBootstrapWiresAdapters(),
                coreApiExposesNoVendorTypes(),
                failsafeStaysInTheApplicationImplementation(),
                internalPackagesAreUsedOnlyByTheirOwner(),
                noInternalTypeInPublicApi(),
                clientIntegrationsUseOnlyTheCallerFacingPort(),
                clientIntegrationsDoNotDependOnEachOther(),
                compatibilityKitDependsOnlyOnDomainJUnitAndAssertJ());
    }

    // ---------------------------------------------------------------- predicates and conditions

    /**
     * Classes a user can name: public, nested only in public classes, and not in an
     * {@code internal} package.
     */
    static DescribedPredicate<JavaClass> arePublicApi() {
        return DescribedPredicate.describe("are public API (public, not nested in a non-public "
                + "class, outside '..internal..')", TokenkeeperRules::isPublicApi);
    }

    private static boolean isPublicApi(JavaClass javaClass) {
        if (isInInternalPackage(javaClass.getPackageName())) {
            return false;
        }
        for (JavaClass c = javaClass; c != null; c = c.getEnclosingClass().orElse(null)) {
            if (!c.getModifiers().contains(JavaModifier.PUBLIC)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isInInternalPackage(String packageName) {
        return ownerOfInternalPackage(packageName) != null;
    }

    /**
     * The package that owns an internal package: {@code a.b} for {@code a.b.internal} and
     * {@code a.b.internal.c}; {@code null} if the package is not internal.
     */
    static String ownerOfInternalPackage(String packageName) {
        String[] segments = packageName.split("\\.");
        for (int i = 0; i < segments.length; i++) {
            if (segments[i].equals("internal")) {
                return String.join(".", Arrays.copyOfRange(segments, 0, i));
            }
        }
        return null;
    }

    private static boolean isAtOrBelow(String packageName, String owner) {
        return packageName.equals(owner) || packageName.startsWith(owner + ".");
    }

    private ArchCondition<JavaClass> notUseInternalClassesOfAnotherPackageTree() {
        return new ArchCondition<>("not use a class of an 'internal' package outside the package "
                + "tree that owns it") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    JavaClass target = dependency.getTargetClass().getBaseComponentType();
                    if (!isAtOrBelow(target.getPackageName(), root)) {
                        continue;
                    }
                    String owner = ownerOfInternalPackage(target.getPackageName());
                    if (owner != null && !isAtOrBelow(origin.getPackageName(), owner)) {
                        events.add(SimpleConditionEvent.violated(dependency,
                                dependency.getDescription() + ", but only " + owner
                                        + ".. may use " + target.getPackageName()));
                    }
                }
            }
        };
    }

    /**
     * Looks at everything a user of the class sees: supertypes, type parameters, and the
     * public/protected fields, constructors and methods (return, parameter and thrown types,
     * generic arguments included).
     */
    static ArchCondition<JavaClass> exposeNoTypesFrom(List<String> packages) {
        PackageMatchers vendor = PackageMatchers.of(packages);
        return new ArchCondition<>("expose no type from " + packages
                + " in a public or protected signature") {
            @Override
            public void check(JavaClass javaClass, ConditionEvents events) {
                javaClass.getSuperclass().ifPresent(type ->
                        report(javaClass.getDescription() + " extends", type, javaClass, javaClass, events));
                javaClass.getInterfaces().forEach(type ->
                        report(javaClass.getDescription() + " implements", type, javaClass, javaClass, events));
                reportTypeParameters(javaClass.getDescription(), javaClass.getTypeParameters(), javaClass, javaClass, events);
                for (JavaField field : javaClass.getFields()) {
                    if (isVisibleToUsers(field)) {
                        report(field.getDescription() + " has type", field.getType(), javaClass, field, events);
                    }
                }
                for (JavaCodeUnit codeUnit : javaClass.getCodeUnits()) {
                    if (!isVisibleToUsers(codeUnit)) {
                        continue;
                    }
                    String where = codeUnit.getDescription();
                    report(where + " returns", codeUnit.getReturnType(), javaClass, codeUnit, events);
                    codeUnit.getParameterTypes().forEach(type ->
                            report(where + " takes", type, javaClass, codeUnit, events));
                    codeUnit.getThrowsClause().getTypes().forEach(type ->
                            report(where + " throws", type, javaClass, codeUnit, events));
                    reportTypeParameters(where, codeUnit.getTypeParameters(), javaClass, codeUnit, events);
                }
            }

            private void reportTypeParameters(String where, List<? extends JavaTypeVariable<?>> variables,
                    JavaClass owner, HasSourceCodeLocation location, ConditionEvents events) {
                for (JavaTypeVariable<?> variable : variables) {
                    variable.getUpperBounds().forEach(bound ->
                            report(where + " declares type parameter " + variable.getName() + " bounded by",
                                    bound, owner, location, events));
                }
            }

            private void report(String what, JavaType type, JavaClass owner, HasSourceCodeLocation location,
                    ConditionEvents events) {
                Set<JavaClass> involved = type.getAllInvolvedRawTypes();
                for (JavaClass raw : involved) {
                    JavaClass base = raw.getBaseComponentType();
                    if (vendor.test(base.getPackageName())) {
                        events.add(SimpleConditionEvent.violated(owner, what + " <" + base.getName()
                                + "> (in " + type.getName() + ") in " + location.getSourceCodeLocation()));
                    }
                }
            }
        };
    }

    private static boolean isVisibleToUsers(HasModifiers member) {
        Set<JavaModifier> modifiers = member.getModifiers();
        return (modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED))
                && !modifiers.contains(JavaModifier.SYNTHETIC);
    }
}
