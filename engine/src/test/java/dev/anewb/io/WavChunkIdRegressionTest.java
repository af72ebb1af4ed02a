package dev.anewb.io;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Found by the long fuzz run: a chunk id holding a newline split the error message over two lines. */
class WavChunkIdRegressionTest {
    @TempDir Path tmp;

    @Test
    void aDamagedChunkIdStaysOnOneLine() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(56).put("WAVE".getBytes());
        b.put(new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, '\n'}).putInt(1_635_017_060);
        Path f = tmp.resolve("bad.wav");
        Files.write(f, b.array());
        AnewbException e = assertThrows(AnewbException.class, () -> WavReader.read(f));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("\\xFF\\xFF\\xFF\\x0A"), e.getMessage());
    }
}
