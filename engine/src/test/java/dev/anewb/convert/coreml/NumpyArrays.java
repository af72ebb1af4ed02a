package dev.anewb.convert.coreml;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * NumPy's {@code .npy} format 1.0 (magic, version, little-endian header length, a Python dict header padded so the
 * data starts at a multiple of 64, then the raw little-endian C-order data) and {@code .npz} (a zip of .npy files):
 * what coreml-check reads and writes.
 */
final class NumpyArrays {
    private NumpyArrays() { }

    /** A float array read back: shape and values (FP16 and FP32 files alike). */
    record Array(long[] shape, float[] data) { }

    static void writeInt32(Path file, int[] data, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(data);
        write(file, "<i4", shape, b.array());
    }

    static void writeFloat32(Path file, float[] data, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        write(file, "<f4", shape, b.array());
    }

    private static void write(Path file, String descr, long[] shape, byte[] data) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (long d : shape) s.append(d).append(shape.length == 1 ? ",)" : ", ");
        String shapeText = shape.length == 1 ? s.toString() : s.toString().replaceAll(", $", "") + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = 10 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(padded - unpadded) + "\n";
        ByteBuffer h = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) header.length());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(h.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        Files.write(file, out.toByteArray());
    }

    /** Every array of an .npz, by entry name without ".npy". */
    static Map<String, Array> readNpz(Path file) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                out.put(name, readNpy(z.readAllBytes(), file + ":" + e.getName()));
            }
        }
        return out;
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|])([a-z])(\\d+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    static Array readNpy(byte[] bytes, String what) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if ((bytes[0] & 0xff) != 0x93 || !new String(bytes, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IllegalArgumentException(what + ": not an .npy array");
        }
        int major = bytes[6];
        int headerLength = major == 1 ? b.getShort(8) & 0xffff : b.getInt(8);
        int start = (major == 1 ? 10 : 12);
        String header = new String(bytes, start, headerLength, StandardCharsets.US_ASCII);
        Matcher d = DESCR.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) throw new IllegalArgumentException(what + ": header " + header);
        // A transposed result is saved column-major: read it as written, then reorder to C order.
        boolean fortran = header.contains("'fortran_order': True");
        String kind = d.group(2) + d.group(3);
        String[] dimTexts = s.group(1).split(",");
        long n = 1;
        List<Long> shape = new ArrayList<>();
        for (String dim : dimTexts) {
            if (dim.isBlank()) continue;
            long v = Long.parseLong(dim.strip());
            shape.add(v);
            n *= v;
        }
        float[] data = new float[(int) n];
        int at = start + headerLength;
        for (int i = 0; i < n; i++) {
            data[i] = switch (kind) {
                case "f4" -> b.getFloat(at + 4 * i);
                case "f2" -> Float.float16ToFloat(b.getShort(at + 2 * i));
                case "i4" -> b.getInt(at + 4 * i);
                default -> throw new IllegalArgumentException(what + ": dtype " + kind + " not read");
            };
        }
        long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
        return new Array(dims, fortran ? toCOrder(data, dims) : data);
    }

    /** Element (i0, …, in) sits at Σ i_k·∏_{j<k} d_j in Fortran order and at Σ i_k·∏_{j>k} d_j in C order. */
    private static float[] toCOrder(float[] f, long[] dims) {
        float[] c = new float[f.length];
        int[] idx = new int[dims.length];
        for (int flat = 0; flat < f.length; flat++) {
            int at = 0;
            for (int k = dims.length - 1, stride = 1; k >= 0; stride *= (int) dims[k], k--) at += idx[k] * stride;
            c[at] = f[flat];
            for (int k = 0; k < dims.length; k++) {
                if (++idx[k] < dims[k]) break;
                idx[k] = 0;
            }
        }
        return c;
    }

    static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
