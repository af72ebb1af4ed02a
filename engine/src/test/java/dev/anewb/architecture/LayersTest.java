package dev.anewb.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.WeightSource;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.PreparedWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The engine's layers (docs/architecture.md): each package imports only the layers below it, and no two packages
 * import each other, directly or round a circle. A violation names the class and the dependency.
 */
class LayersTest {
    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.anewb");
    }

    /** Bottom to top; a layer may use any layer listed before it. */
    static LayeredArchitecture layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("base").definedBy("dev.anewb", "dev.anewb.job..")
                .layer("model").definedBy("dev.anewb.model..")
                .layer("quant").definedBy("dev.anewb.quant..")
                .layer("io").definedBy("dev.anewb.io..")
                .layer("runtime").definedBy("dev.anewb.runtime..")
                .layer("convert").definedBy("dev.anewb.convert..")
                .layer("drift").definedBy("dev.anewb.drift..")
                .layer("ane").definedBy("dev.anewb.ane..")
                .layer("hub").definedBy("dev.anewb.hub..")
                .layer("api").definedBy("dev.anewb.api..")
                .layer("cli").definedBy("dev.anewb.cli..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("api").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("hub").mayOnlyBeAccessedByLayers("api", "cli")
                .whereLayer("ane").mayOnlyBeAccessedByLayers("hub", "api", "cli")
                .whereLayer("drift").mayOnlyBeAccessedByLayers("ane", "hub", "api", "cli")
                .whereLayer("convert").mayOnlyBeAccessedByLayers("drift", "ane", "hub", "api", "cli")
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("convert", "drift", "ane", "hub", "api", "cli")
                .whereLayer("io").mayOnlyBeAccessedByLayers("runtime", "convert", "drift", "ane", "hub", "api", "cli")
                .whereLayer("quant").mayOnlyBeAccessedByLayers("io", "runtime", "convert", "drift", "ane", "hub",
                        "api", "cli")
                .whereLayer("model").mayOnlyBeAccessedByLayers("quant", "io", "runtime", "convert", "drift", "ane",
                        "hub",
                        "api", "cli");
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        layers().check(engine);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.anewb.(**)").should().beFreeOfCycles().check(engine);
    }

    @Test
    void executorsAreMadeOnlyByTheirOwner() {
        // ModelSession owns a model's executors (shared prepared weights, recently used conversions); anyone else
        // making one would hold a second copy of the weights.
        noClasses().that().resideOutsideOfPackages("dev.anewb.api..", "dev.anewb.runtime..")
                .should().callConstructor(Executor.class, ModelGraph.class, WeightSource.class,
                        PreparedWeights.class)
                .orShould().callConstructor(Executor.class, ModelGraph.class, WeightSource.class)
                .check(engine);
    }
}
