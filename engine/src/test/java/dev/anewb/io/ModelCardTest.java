package dev.anewb.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ModelCardTest {
    @TempDir Path tmp;

    @Test
    void licenseOfTheFrontMatter() {
        assertEquals("apache-2.0", ModelCard.license("---\nlanguage: en\nlicense: apache-2.0\ntags:\n- bert\n---\n"));
        assertEquals("mit", ModelCard.license("---\r\nlicense: \"mit\" # quoted\r\n---\r\nlicense: other\n"));
        assertEquals("other (llama3.2)", ModelCard.license("---\nlicense: other\nlicense_name: llama3.2\n---\n"));
    }

    @Test
    void nothingWithoutFrontMatterOrLicense() {
        assertEquals("", ModelCard.license("# A card\nlicense: mit\n"), "only the front matter counts");
        assertEquals("", ModelCard.license("---\nlanguage: en\n---\nlicense: mit\n"), "nor the text after it");
        assertEquals("", ModelCard.license("---\nlicense:\n- mit\n- apache-2.0\n---\n"), "a list is no one license");
        assertEquals("", ModelCard.license(""));
    }

    @Test
    void readsTheFolderCard() throws IOException {
        assertEquals("", ModelCard.license(tmp), "no README.md");
        Files.writeString(tmp.resolve("README.md"), "---\nlicense: cc-by-4.0\n---\n");
        assertEquals("cc-by-4.0", ModelCard.license(tmp));
        assertEquals("apache-2.0", ModelCard.license(BundledModel.folder()), "the bundled model's card");
    }
}
