package dev.anewb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.io.MediaReadersTest;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.model.TensorData;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run --image/--audio --dump} and {@code generate --audio --decoder-ids} on the fixtures. */
class VisionAudioCliTest {

    @Test
    void runVitFromAPngDumpsPixelValuesAsTransformersShapesThem(@TempDir Path dir) throws Exception {
        Path fx = Fixtures.fixture("vit-tiny");
        Path png = dir.resolve("img.png"), dump = dir.resolve("taps.safetensors");
        float[] refPixels;
        try (SafetensorsFile ref = SafetensorsFile.open(fx.resolve("reference.safetensors"))) {
            TensorData t = ref.get("image_hwc_uint8");
            BufferedImage img = new BufferedImage(t.dim(1), t.dim(0), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < t.dim(0); y++) for (int x = 0; x < t.dim(1); x++) {
                int o = (y * t.dim(1) + x) * 3;
                img.setRGB(x, y, (int) (t.getLong(o) & 0xFF) << 16 | (int) (t.getLong(o
                        + 1) & 0xFF) << 8 | (int) (t.getLong(o + 2) & 0xFF));
            }
            ImageIO.write(img, "png", png.toFile());
            refPixels = ref.get("pixel_values").toFloatArray();
        }
        var r = GenerateCommandTest.run("run", fx.toString(), "--image", png.toString(), "--dump", dump.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pooler_output"), r.out());
        try (SafetensorsFile d = SafetensorsFile.open(dump)) {
            assertArrayEquals(new long[]{1, 3, 32, 32}, d.get("pixel_values").shape());
            float[] px = d.get("pixel_values").toFloatArray();
            for (int i = 0; i < px.length; i++) assertEquals(refPixels[i], px[i], 1e-4);
        }
        var bad = GenerateCommandTest.run("run", fx.toString(), "--text", "hello");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--image"), bad.err());
    }

    @Test
    void whisperRunAndGenerateFromAWav(@TempDir Path dir) throws Exception {
        Path fx = Fixtures.fixture("whisper-tiny");
        Path wav = dir.resolve("a.wav"), dump = dir.resolve("w.safetensors");
        float[] wave;
        try (SafetensorsFile ref = SafetensorsFile.open(fx.resolve("reference.safetensors"))) {
            wave = ref.get("waveform").toFloatArray();
        }
        Files.write(wav, MediaReadersTest.wav(3, 32, 16000, new float[][]{wave}));
        var r = GenerateCommandTest.run("run", fx.toString(), "--audio", wav.toString(), "--decoder-ids", "1,2,3,4",
                "--dump", dump.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile d = SafetensorsFile.open(dump)) {
            assertArrayEquals(new long[]{1, 80, 3000}, d.get("input_features").shape());
            assertArrayEquals(new long[]{1, 4, 1000}, d.get("logits").shape());
        }
        var g = GenerateCommandTest.run("generate", fx.toString(), "--audio", wav.toString(), "--decoder-ids",
                "1,2,3,4",
                "--max-new-tokens", "10", "--json");
        assertEquals(0, g.code(), g.err());
        JsonNode ids = new ObjectMapper().readTree(g.out()).get("ids");
        // transformers' greedy tokens (reference.json), every margin above 1e-3; eos (0) is never generated here
        long[] expect = {347, 347, 347, 347, 347, 656, 656, 656, 656, 656};
        assertEquals(expect.length, ids.size());
        for (int i = 0; i < expect.length; i++) assertEquals(expect[i], ids.get(i).asLong(), "token " + i);
    }
}
