package dev.anewb.convert;

import dev.anewb.AnewbException;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;
import dev.anewb.quant.Int8BlockWeight;
import dev.anewb.quant.QuantizedWeights;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The weights of an {@code .anepkg}: float tensors as stored (F16 or F32, projections [out, in]) and block-INT8
 * projections as {@code W.q} / {@code W.scale} / {@code W.zero_point}, handed to the executor as stored.
 */
public final class PackageWeights implements WeightSource, QuantizedWeights {
    private final SafetensorsFile file;
    private final Set<String> names = new LinkedHashSet<>();
    private final Map<String, Integer> blockSizes;
    private final Map<String, Boolean> symmetric;
    private final Map<String, Int8BlockWeight> cache = new ConcurrentHashMap<>();

    /** @param blockSizes block size per quantized weight name, from the manifest */
    public PackageWeights(SafetensorsFile file, Map<String, Integer> blockSizes, Map<String, Boolean> symmetric) {
        this.file = file;
        this.blockSizes = Map.copyOf(blockSizes);
        this.symmetric = Map.copyOf(symmetric);
        for (String n : file.names()) {
            if (n.endsWith(".q")) names.add(n.substring(0, n.length() - 2));
            else if (!n.endsWith(".scale") && !n.endsWith(".zero_point")) names.add(n);
        }
    }

    @Override public Set<String> names() { return names; }

    @Override public TensorData get(String name) {
        if (file.contains(name)) return file.get(name);
        Int8BlockWeight q = quantized(name);
        if (q == null) throw missing(name);
        return TensorData.ofFloats(name, q.dequantize(), q.rows(), q.k());
    }

    @Override public Int8BlockWeight quantized(String name) {
        if (!file.contains(name + ".q")) return null;
        return cache.computeIfAbsent(name, n -> {
            TensorData q = file.get(n + ".q"), s = file.get(n + ".scale"), z = file.get(n + ".zero_point");
            Integer block = blockSizes.get(n);
            if (block == null) throw AnewbException.file(file.origin(), "\"" + n
                    + ".q\" has no block size in the manifest");
            if (q.dtype() != DType.I8 || s.dtype() != DType.F16 || z.dtype() != DType.I8 || q.rank() != 2) {
                throw AnewbException.file(file.origin(), "\"" + n
                        + "\" is not stored as I8 q / F16 scale / I8 zero_point");
            }
            int rows = q.dim(0), k = q.dim(1);
            byte[] qb = q.data().toArray(ValueLayout.JAVA_BYTE);
            short[] sb = new short[(int) s.elementCount()];
            for (int i = 0; i < sb.length; i++) sb[i] = Float.floatToFloat16(s.getFloat(i));
            byte[] zb = z.data().toArray(ValueLayout.JAVA_BYTE);
            try {
                return new Int8BlockWeight(rows, k, block, symmetric.getOrDefault(n, false), qb, sb, zb);
            } catch (IllegalArgumentException e) {
                throw AnewbException.file(file.origin(), "\"" + n + "\": " + e.getMessage());
            }
        });
    }

    @Override public Path origin() { return file.origin(); }

    @Override public void close() { file.close(); }
}
