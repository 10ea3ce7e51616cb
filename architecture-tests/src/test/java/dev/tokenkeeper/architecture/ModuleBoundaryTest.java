package dev.tokenkeeper.architecture;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.failsafe.Failsafe;
import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ModuleReader;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the library's {@code module-info} files promise a user, checked on the built modules (their
 * {@code target/classes} or jars, as found on this module's test class path).
 *
 * <p>The ArchUnit rules say which packages are API; this test shows that the module system enforces
 * it: a consumer module compiled with the JDK's own javac can use what {@code
 * dev.tokenkeeper.application} exports, and cannot even import a class of a package it does not
 * export.
 */
@DisplayName("The library modules")
class ModuleBoundaryTest {

    /** Each library module, found by a class it holds, with the packages it exports to everyone. */
    private static final Map<String, Exports> MODULES = Map.of(
            "dev.tokenkeeper.domain", new Exports(TokenKey.class,
                    "dev.tokenkeeper.domain", "dev.tokenkeeper.domain.api", "dev.tokenkeeper.domain.spi"),
            "dev.tokenkeeper.application", new Exports(TokenManager.class, "dev.tokenkeeper.application"),
            "dev.tokenkeeper.adapter.http", new Exports(VertxTokenEndpoint.class, "dev.tokenkeeper.adapter.http"),
            "dev.tokenkeeper.adapter.store.memory",
                    new Exports(MemoryTokenStore.class, "dev.tokenkeeper.adapter.store.memory"),
            "dev.tokenkeeper.adapter.store.redis",
                    new Exports(RedisTokenStore.class, "dev.tokenkeeper.adapter.store.redis"),
            "dev.tokenkeeper.adapter.store.jdbc",
                    new Exports(JdbiTokenStore.class, "dev.tokenkeeper.adapter.store.jdbc"),
            "dev.tokenkeeper.store.tck", new Exports(TokenStoreCompatibilityKit.class, "dev.tokenkeeper.store.tck"),
            "dev.tokenkeeper.bootstrap", new Exports(dev.tokenkeeper.bootstrap.Tokenkeeper.class,
                    "dev.tokenkeeper.bootstrap", "dev.tokenkeeper.bootstrap.metrics", "dev.tokenkeeper.bootstrap.persistence"));

    /** javac's key for "package p is not visible (… which does not export it)". */
    private static final String NOT_VISIBLE = "compiler.err.package.not.visible";

    private record Exports(Class<?> member, Set<String> packages) {
        Exports(Class<?> member, String... packages) {
            this(member, Set.of(packages));
        }
    }

    @TempDir
    Path work;

    @Test
    @DisplayName("each has a module descriptor that exports its API packages only, and no 'internal' package")
    void descriptorsExportTheApiOnly() {
        MODULES.forEach((name, expected) -> {
            ModuleDescriptor descriptor = descriptorOf(expected.member());
            assertThat(descriptor.name()).as("module holding %s", expected.member().getName()).isEqualTo(name);
            Set<String> exported = descriptor.exports().stream()
                    .filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(exported).as("packages %s exports", name).isEqualTo(new TreeSet<>(expected.packages()));
            assertThat(descriptor.exports()).as("exports of %s, qualified ones included", name)
                    .noneMatch(e -> TokenkeeperRules.ownerOfInternalPackage(e.source()) != null);
        });
    }

    @Test
    @DisplayName("let a consumer module use the application's API and, through it, the domain's")
    void consumerCompilesAgainstTheApi() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compileConsumer(
                TokenManager.class.getName(), TokenProvider.class.getName());

        assertThat(errors).as("javac errors").isEmpty();
    }

    @Test
    @DisplayName("hide every unexported package of the application from a consumer module")
    void consumerCannotSeeUnexportedPackages() throws IOException {
        ModuleReference application = moduleOf(TokenManager.class);
        Set<String> hidden = new TreeSet<>(application.descriptor().packages());
        application.descriptor().exports().stream()
                .filter(e -> !e.isQualified()) // one exported to a sibling is still hidden from a consumer
                .forEach(e -> hidden.remove(e.source()));
        // a test that found no hidden package would prove nothing: today it finds application.internal
        assertThat(hidden).as("unexported packages of the application")
                .anyMatch(pkg -> TokenkeeperRules.ownerOfInternalPackage(pkg) != null);

        for (String pkg : hidden) {
            String type = publicClassIn(application, pkg);
            List<Diagnostic<? extends JavaFileObject>> errors = compileConsumer(type);

            assertThat(errors).as("javac errors for a consumer importing %s", type)
                    .isNotEmpty()
                    .allSatisfy(error -> {
                        assertThat(error.getCode()).isEqualTo(NOT_VISIBLE);
                        assertThat(error.getMessage(Locale.ROOT))
                                .contains(pkg, "dev.tokenkeeper.application", "does not export it");
                    });
        }
    }

    /**
     * Compiles {@code module consumer { requires dev.tokenkeeper.application; }} with one class that
     * imports {@code types}, against a module path of the application, the domain and Failsafe.
     *
     * @return the errors javac reported; empty if the consumer compiled
     */
    private List<Diagnostic<? extends JavaFileObject>> compileConsumer(String... types) throws IOException {
        Path sources = Files.createDirectories(work.resolve("src-" + System.nanoTime()));
        Path classes = Files.createDirectories(sources.resolveSibling(sources.getFileName() + "-classes"));
        Path moduleInfo = Files.writeString(sources.resolve("module-info.java"),
                "module consumer { requires dev.tokenkeeper.application; }\n", UTF_8);
        String imports = Stream.of(types).map(t -> "import " + t + ";\n").collect(Collectors.joining());
        String fields = Stream.of(types)
                .map(t -> "    " + t.substring(t.lastIndexOf('.') + 1) + " f" + Math.abs(t.hashCode()) + ";\n")
                .collect(Collectors.joining());
        Path consumer = Files.writeString(Files.createDirectories(sources.resolve("consumer")).resolve("Consumer.java"),
                "package consumer;\n\n" + imports + "\nclass Consumer {\n" + fields + "}\n", UTF_8);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("the JDK's javac (tests run on a JDK, not a JRE)").isNotNull();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, UTF_8)) {
            files.setLocationFromPaths(StandardLocation.MODULE_PATH, List.of(
                    locationOf(TokenManager.class), locationOf(TokenKey.class), locationOf(Failsafe.class)));
            // not javac's default class path (this JVM's, which holds every class of the library):
            // the consumer must see the modules through their descriptors only
            files.setLocationFromPaths(StandardLocation.CLASS_PATH, List.of());
            files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(classes));
            javac.getTask(null, files, diagnostics, List.of("--release", "17"), null,
                    files.getJavaFileObjectsFromPaths(List.of(moduleInfo, consumer))).call();
        }
        return diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .collect(Collectors.toList());
    }

    /** The name of a public top-level class in {@code pkg}, so that only visibility can stop an import. */
    private static String publicClassIn(ModuleReference module, String pkg) {
        String folder = pkg.replace('.', '/') + "/";
        try (ModuleReader reader = module.open(); Stream<String> resources = reader.list()) {
            Optional<String> found = resources
                    .filter(r -> r.startsWith(folder) && r.endsWith(".class") && !r.contains("$"))
                    .map(r -> r.substring(0, r.length() - ".class".length()).replace('/', '.'))
                    .filter(r -> r.lastIndexOf('.') == pkg.length())
                    .filter(ModuleBoundaryTest::isPublic)
                    .sorted()
                    .findFirst();
            assertThat(found).as("a public class in %s", pkg).isPresent();
            return found.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isPublic(String className) {
        try {
            return Modifier.isPublic(Class.forName(className, false, ModuleBoundaryTest.class.getClassLoader())
                    .getModifiers());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(className + " is listed by its module but cannot be loaded", e);
        }
    }

    private static ModuleDescriptor descriptorOf(Class<?> member) {
        return moduleOf(member).descriptor();
    }

    /** The module in the folder or jar that {@code member} was loaded from. */
    private static ModuleReference moduleOf(Class<?> member) {
        Set<ModuleReference> found = ModuleFinder.of(locationOf(member)).findAll();
        assertThat(found).as("modules at %s", locationOf(member)).hasSize(1);
        ModuleReference module = found.iterator().next();
        assertThat(module.descriptor().isAutomatic())
                .as("%s has a module-info (is not an automatic module)", module.descriptor().name())
                .isFalse();
        return module;
    }

    private static Path locationOf(Class<?> member) {
        try {
            return Path.of(member.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("no file location for " + member.getName(), e);
        }
    }
}
