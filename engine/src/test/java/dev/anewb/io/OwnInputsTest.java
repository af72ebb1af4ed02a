package dev.anewb.io;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared "never write over an input" check, on real paths: links, snapshots and blobs, extra input files. */
class OwnInputsTest {
    @TempDir Path tmp;

    /** models--org--name/snapshots/C/model.safetensors -> ../../blobs/E, as the Hugging Face cache lays it out. */
    private Path snapshot() throws IOException {
        Path repo = tmp.resolve("cache/models--acme--m");
        Path blob = Files.writeString(Files.createDirectories(repo.resolve("blobs")).resolve("e1"), "weights");
        Path snap = Files.createDirectories(repo.resolve("snapshots/c1"));
        Files.createSymbolicLink(snap.resolve("model.safetensors"), snap.relativize(blob));
        return snap;
    }

    private static OwnInputs folder(Path dir) {
        OwnInputs in = new OwnInputs();
        in.addFolder(dir);
        return in;
    }

    @Test
    void theBlobBehindASnapshotLinkIsAnInput() throws IOException {
        Path snap = snapshot();
        Path blob = tmp.resolve("cache/models--acme--m/blobs/e1");
        AnewbException e = assertThrows(AnewbException.class, () -> folder(snap).refuseOutput("--dump", blob));
        assertTrue(e.getMessage().contains(blob.toRealPath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("an input"), e.getMessage());
        // the link itself, and a link elsewhere that points at the blob
        Path link = snap.resolve("model.safetensors");
        assertThrows(AnewbException.class, () -> folder(snap).refuseOutput("--dump", link));
        Path alias = Files.createSymbolicLink(tmp.resolve("alias.safetensors"), blob);
        assertThrows(AnewbException.class, () -> folder(snap).refuseOutput("--dump", alias));
        // a spelling with .. through the folder
        Path dotted = snap.resolve("../c1/model.safetensors");
        assertThrows(AnewbException.class, () -> folder(snap).refuseOutput("--dump", dotted));
    }

    @Test
    void extraInputFilesAndFoldersAboveTheModel() throws IOException {
        Path image = Files.writeString(tmp.resolve("cat.png"), "png");
        Path model = Files.createDirectories(tmp.resolve("m"));
        OwnInputs in = folder(model).addFile(image);
        assertThrows(AnewbException.class, () -> in.refuseOutput("--dump", image));
        AnewbException up = assertThrows(AnewbException.class, () -> in.refuseOutput("--out", tmp));
        assertTrue(up.getMessage().contains("holds"), up.getMessage());
        assertDoesNotThrow(() -> in.refuseOutput("--dump", tmp.resolve("taps.safetensors")));
        Path fresh = model.resolve("new.safetensors");
        assertDoesNotThrow(() -> in.refuseOutput("--dump", fresh), "a new name in the folder is no input");
        assertDoesNotThrow(() -> in.refuseOutput("--out", tmp.resolve("new/deeper/x.anepkg")));
    }
}
