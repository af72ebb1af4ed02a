package dev.anewb.app;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import dev.anewb.runtime.Executor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The app's layers: only the shell knows the areas; the areas build on the area contract ({@code area}), the
 * shared state ({@code session}), the jobs and the plain controls ({@code ui}) below them. No two app packages
 * import each other, directly or round a circle. A violation names the class and the dependency. Main code only:
 * tests may build an {@link Executor} of their own as an independent reference.
 */
class AppLayersTest {
    /** The workbench's areas, and the conversion panel beside them. */
    private static final String[] AREAS = {"dev.anewb.app.model..", "dev.anewb.app.drift..", "dev.anewb.app.memory..",
            "dev.anewb.app.layout..", "dev.anewb.app.weights..", "dev.anewb.app.graph..", "dev.anewb.app.sweep..",
            "dev.anewb.app.run..", "dev.anewb.app.export..", "dev.anewb.app.conversion.."};

    private static JavaClasses app;

    @BeforeAll
    static void importApp() {
        app = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.anewb.app");
    }

    /** Top to bottom; a layer may use the layers listed below it. */
    static LayeredArchitecture layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("launcher").definedBy("dev.anewb.app")
                .layer("shell").definedBy("dev.anewb.app.shell..")
                .layer("areas").definedBy(AREAS)
                .layer("area contract").definedBy("dev.anewb.app.area..")
                .layer("session").definedBy("dev.anewb.app.session..")
                .layer("jobs").definedBy("dev.anewb.app.jobs..")
                .layer("base").definedBy("dev.anewb.app.ui..", "dev.anewb.app.chip..", "dev.anewb.app.settings..",
                        "dev.anewb.app.theme..")
                .whereLayer("launcher").mayNotBeAccessedByAnyLayer()
                .whereLayer("shell").mayOnlyBeAccessedByLayers("launcher")
                .whereLayer("areas").mayOnlyBeAccessedByLayers("shell")
                .whereLayer("area contract").mayOnlyBeAccessedByLayers("areas", "shell")
                .whereLayer("session").mayOnlyBeAccessedByLayers("area contract", "areas", "shell", "launcher")
                .whereLayer("jobs").mayOnlyBeAccessedByLayers("session", "area contract", "areas", "shell",
                        "launcher");
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        layers().check(app);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.anewb.(app..)").should().beFreeOfCycles().check(app);
    }

    @Test
    void areasDoNotKnowTheShell() {
        // The shell builds the areas and shows them; an area that reached back would tie every area to all others.
        noClasses().that().resideInAnyPackage(AREAS)
                .should().dependOnClassesThat().resideInAnyPackage("dev.anewb.app.shell..", "dev.anewb.app")
                .check(app);
    }

    @Test
    void executorsComeFromTheModelSession() {
        // The api layer's ModelSession owns a model's executors (shared prepared weights, recent conversions); an
        // executor made here would hold a second copy of the weights.
        noClasses().that().resideInAPackage("dev.anewb.app..")
                .should().callConstructorWhere(target(owner(assignableTo(Executor.class))))
                .check(app);
    }
}
