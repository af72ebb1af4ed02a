package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

class WeightSourcesTest {
    @TempDir Path tmp;

    /** Splits bert-tiny into two shards with an index, then reads every tensor back identical to the single file. */
    @Test
    void shardedCheckpointReadsLikeTheSingleFile() throws IOException {
        Path single = Fixtures.fixture("bert-tiny/model.safetensors");
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        StringBuilder map = new StringBuilder();
        try (SafetensorsFile f = SafetensorsFile.open(single)) {
            SafetensorsWriter a = new SafetensorsWriter().metadata(f.metadata()),
                    b = new SafetensorsWriter().metadata(f.metadata());
            int i = 0;
            for (String n : new TreeSet<>(f.names())) {
                boolean first = i++ % 2 == 0;
                (first ? a : b).add(f.get(n));
                map.append(map.isEmpty() ? "" : ",").append('"').append(n).append("\":\"model-0000")
                        .append(first ? 1 : 2).append("-of-00002.safetensors\"");
            }
            a.write(dir.resolve("model-00001-of-00002.safetensors"));
            b.write(dir.resolve("model-00002-of-00002.safetensors"));
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":123},\"weight_map\":{" + map + "}}");
        try (WeightSource s = WeightSources.openFolder(dir); SafetensorsFile f = SafetensorsFile.open(single)) {
            assertInstanceOf(ShardedSafetensors.class, s);
            assertEquals(f.names(), s.names());
            for (String n : f.names()) {
                TensorData x = f.get(n), y = s.get(n);
                assertArrayEquals(x.shape(), y.shape());
                assertArrayEquals(x.toFloatArray(), y.toFloatArray(), n);
            }
        }

        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                index.replace("\"embeddings.LayerNorm.bias\":\"model-00001",
                        "\"embeddings.LayerNorm.bias\":\"model-00002"));
        AnewbException e = assertThrows(AnewbException.class, () -> WeightSources.openFolder(dir));
        assertTrue(e.getMessage().contains("maps tensor 'embeddings.LayerNorm.bias' to shard "
                + "'model-00002-of-00002.safetensors', which does not contain it"),
                e.getMessage());
        Files.writeString(dir.resolve("model.safetensors.index.json"), index);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        e = assertThrows(AnewbException.class, () -> WeightSources.openFolder(dir));
        assertTrue(e.getMessage().contains("shard 'model-00002-of-00002.safetensors'"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void picksTheFormatOfAFolder() throws IOException {
        try (WeightSource s = WeightSources.openFolder(Fixtures.fixture("gpt2-tiny"))) {
            assertInstanceOf(SafetensorsFile.class, s);
        }
        try (WeightSource s = WeightSources.openFolder(BundledModel.folder())) {
            assertInstanceOf(OnnxWeights.class, s);
            assertTrue(s.contains("encoder.layer.5.output.dense.weight"));
        }
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        AnewbException e = assertThrows(AnewbException.class, () -> WeightSources.openFolder(empty));
        assertEquals("no weights in " + empty
                + " (looked for model.safetensors, model.safetensors.index.json, *.onnx)", e.getMessage());
    }
}
