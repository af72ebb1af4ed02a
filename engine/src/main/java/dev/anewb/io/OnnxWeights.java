package dev.anewb.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.anewb.AnewbException;
import dev.anewb.model.DType;
import dev.anewb.model.TensorData;
import dev.anewb.model.WeightSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The initializers of an ONNX model, read straight from the protobuf wire format (no generated classes) and
 * exposed under Hugging Face names. Raw tensor bytes stay in the memory-mapped file.
 *
 * <p>Optimum/torch exports keep most parameter names but store each projection as an anonymous
 * {@code onnx::MatMul_N} initializer in [in, out] orientation. Such a weight is named after its bias: the
 * MatMul's output feeds an Add whose other input is the initializer {@code X.bias}, so the weight is
 * {@code X.weight}, served transposed to HF's [out, in] (an F32 copy made on use and held weakly).
 *
 * <p>Field numbers follow onnx/onnx.proto: ModelProto.graph 7; GraphProto node 1, initializer 5, input 11,
 * output 12; NodeProto input 1, output 2, name 3, op_type 4; TensorProto dims 1, data_type 2, float_data 4,
 * int32_data 5, int64_data 7, name 8, raw_data 9, double_data 10, uint64_data 11, external_data 13,
 * data_location 14; StringStringEntryProto key 1, value 2.
 */
public final class OnnxWeights implements WeightSource {
    /** A graph node: enough to follow data flow between initializers and ops. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) { }

    /** An initializer as stored in the file, under its ONNX name and in its ONNX orientation. */
    private record Initializer(String name, DType dtype, long[] shape, MemorySegment data) { }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final Map<String, Initializer> initializers;
    private final List<Node> nodes;
    private final List<String> graphInputs, graphOutputs;
    /** HF name → ONNX initializer name; transposed names are in {@link #transposed}. */
    private final Map<String, String> hfToOnnx;
    private final Set<String> transposed;
    /** Small INT64 values of Constant nodes, by output name. */
    private final Map<String, long[]> constants = new HashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    /**
     * Transposed copies, weakly held: an executor reads each once to prepare its own form (packed panels), so a
     * strong cache kept a second float copy of every projection for the life of the model (42 MB for the bundled
     * MiniLM, 340 MB for a BERT-base ONNX file).
     */
    private final Map<String, WeakReference<TensorData>> transposedCache = new ConcurrentHashMap<>();

    private OnnxWeights(Path path, Arena arena, Map<String, Initializer> initializers, List<Node> nodes,
                        List<String> graphInputs, List<String> graphOutputs) {
        this.path = path;
        this.arena = arena;
        this.initializers = initializers;
        this.nodes = nodes;
        this.graphInputs = graphInputs;
        this.graphOutputs = graphOutputs;
        Map<String, String> names = new LinkedHashMap<>();
        Set<String> t = new HashSet<>();
        Map<String, String> projections = projectionNames(initializers, nodes);
        for (Initializer init : initializers.values()) {
            String hf = projections.get(init.name);
            if (hf != null) {
                t.add(hf);
            } else {
                hf = init.name;
            }
            if (names.putIfAbsent(hf, init.name) != null) {
                throw AnewbException.file(path, "two initializers map to the Hugging Face name '" + hf + "'");
            }
        }
        this.hfToOnnx = Collections.unmodifiableMap(names);
        this.transposed = Collections.unmodifiableSet(t);
    }

    /** onnx::MatMul_N initializer → HF weight name, found through MatMul → Add(bias). */
    private static Map<String, String> projectionNames(Map<String, Initializer> inits, List<Node> nodes) {
        Map<String, List<Node>> consumers = new HashMap<>();
        for (Node n : nodes) for (String in : n.inputs) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        Map<String, String> out = new HashMap<>();
        for (Node mm : nodes) {
            if (!mm.opType.equals("MatMul") || mm.inputs.size() != 2 || mm.outputs.isEmpty()) continue;
            Initializer w = inits.get(mm.inputs.get(1));
            if (w == null || w.shape.length != 2 || !w.name.startsWith("onnx::")) continue;
            for (Node add : consumers.getOrDefault(mm.outputs.get(0), List.of())) {
                if (!add.opType.equals("Add") || add.inputs.size() != 2) continue;
                String other = add.inputs.get(0).equals(mm.outputs.get(0)) ? add.inputs.get(1) : add.inputs.get(0);
                if (inits.containsKey(other) && other.endsWith(".bias")) {
                    out.put(w.name, other.substring(0, other.length() - ".bias".length()) + ".weight");
                }
            }
        }
        return out;
    }

    public static OnnxWeights open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            // A protobuf message cannot exceed 2 GiB; bigger models keep their tensors in external data files.
            if (size > Integer.MAX_VALUE) {
                throw AnewbException.file(path, "is " + size + " bytes, more than a protobuf message can hold (2 GiB)");
            }
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Parser p = new Parser(path, file, arena);
            p.parseModel();
            OnnxWeights w = new OnnxWeights(path, arena, p.initializers, p.nodes, p.graphInputs, p.graphOutputs);
            w.constants.putAll(p.constants);
            w.metadata.putAll(p.metadata);
            return w;
        } catch (InvalidProtocolBufferException e) {
            arena.close();
            throw AnewbException.file(path, "is not a valid ONNX model: " + e.getMessage(), e);
        } catch (IOException e) {
            arena.close();
            throw AnewbException.file(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Wire-format reader over one memory-mapped file; offsets from the stream are offsets into the file. */
    private static final class Parser {
        final Path path;
        final MemorySegment file;
        final Arena arena;
        final CodedInputStream in;
        final Map<String, Initializer> initializers = new LinkedHashMap<>();
        final List<Node> nodes = new ArrayList<>();
        final List<String> graphInputs = new ArrayList<>(), graphOutputs = new ArrayList<>();
        final Map<String, long[]> constants = new HashMap<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
        boolean sawGraph;

        Parser(Path path, MemorySegment file, Arena arena) {
            this.path = path;
            this.file = file;
            this.arena = arena;
            this.in = CodedInputStream.newInstance(file.asByteBuffer());
            in.setSizeLimit(Integer.MAX_VALUE);
        }

        /** Reads a length prefix and checks it against the bytes left in the enclosing message. */
        int length(String what) throws IOException {
            int len = in.readRawVarint32();
            int left = in.getBytesUntilLimit();
            long remaining = left < 0 ? file.byteSize() - in.getTotalBytesRead() : left;
            if (len < 0 || len > remaining) {
                throw AnewbException.file(path, what + " claims " + Integer.toUnsignedString(len) + " bytes at offset "
                        + in.getTotalBytesRead() + " but only " + remaining + " remain");
            }
            return len;
        }

        void parseModel() throws IOException {
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int old = in.pushLimit(length("graph"));
                    parseGraph();
                    in.popLimit(old);
                    sawGraph = true;
                } else if (WireFormat.getTagFieldNumber(tag) == 14
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int old = in.pushLimit(length("metadata_props"));
                    String k = null, v = "";
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> k = string("metadata key");
                            case 2 -> v = string("metadata value");
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(old);
                    if (k != null && metadata.size() < 1000) metadata.put(k, v);
                } else {
                    in.skipField(tag);
                }
            }
            if (!sawGraph) throw AnewbException.file(path, "is not an ONNX model (no graph)");
        }

        void parseGraph() throws IOException {
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                int field = WireFormat.getTagFieldNumber(tag);
                boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
                if (delimited && (field == 1 || field == 5 || field == 11 || field == 12)) {
                    int old = in.pushLimit(length(switch (field) { case 1 -> "node"; case 5 ->
                            "initializer"; default -> "value info"; }));
                    switch (field) {
                        case 1 -> nodes.add(parseNode());
                        case 5 -> {
                            Initializer t = parseTensor();
                            if (initializers.putIfAbsent(t.name, t) != null) {
                                throw AnewbException.file(path, "initializer '" + t.name + "' appears twice");
                            }
                        }
                        case 11 -> graphInputs.add(parseValueInfoName());
                        default -> graphOutputs.add(parseValueInfoName());
                    }
                    in.popLimit(old);
                } else {
                    in.skipField(tag);
                }
            }
        }

        Node parseNode() throws IOException {
            String name = "", op = "";
            List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
            long[] value = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> inputs.add(string("node input"));
                    case 2 -> outputs.add(string("node output"));
                    case 3 -> name = string("node name");
                    case 4 -> op = string("node op_type");
                    case 5 -> {
                        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            in.skipField(tag);
                            break;
                        }
                        int old = in.pushLimit(length("node attribute"));
                        long[] v = parseSmallIntAttribute();
                        if (v != null) value = v;
                        in.popLimit(old);
                    }
                    default -> in.skipField(tag);
                }
            }
            // a Constant's small integer value: what reshapes are built from (head counts, head sizes)
            if (op.equals("Constant") && value != null && outputs.size() == 1) constants.put(outputs.getFirst(), value);
            return new Node(name, op, List.copyOf(inputs), List.copyOf(outputs));
        }

        /** AttributeProto "value" (name 1, t 5) holding an INT64 tensor of at most 16 elements, else null. */
        long[] parseSmallIntAttribute() throws IOException {
            String name = "";
            long[] value = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                int field = WireFormat.getTagFieldNumber(tag);
                if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    name = string("attribute name");
                } else if (field == 5 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int old = in.pushLimit(length("attribute tensor"));
                    value = parseSmallIntTensor();
                    in.popLimit(old);
                } else {
                    in.skipField(tag);
                }
            }
            return name.equals("value") ? value : null;
        }

        /** A TensorProto's INT64 values (int64_data or raw_data), when it has at most 16; else null. */
        long[] parseSmallIntTensor() throws IOException {
            int dataType = 0;
            LongList ints = new LongList(), dims = new LongList();
            byte[] raw = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                int wire = WireFormat.getTagWireType(tag);
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> readInts(wire, dims, "dims");
                    case 2 -> dataType = in.readInt32();
                    case 7 -> readInts(wire, ints, "int64_data");
                    case 9 -> {
                        int len = length("raw_data");
                        if (len <= 16 * 8) raw = in.readRawBytes(len);
                        else in.skipRawBytes(len);
                    }
                    default -> in.skipField(tag);
                }
            }
            if (dataType != 7) return null;
            if (raw != null) {
                if (raw.length % 8 != 0) return null;
                long[] v = new long[raw.length / 8];
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < v.length; i++) v[i] = b.getLong();
                return v;
            }
            long[] v = ints.toArray();
            return v.length <= 16 ? v : null;
        }

        String parseValueInfoName() throws IOException {
            String name = "";
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 1) name = string("value info name");
                else in.skipField(tag);
            }
            return name;
        }

        String string(String what) throws IOException {
            int len = length(what);
            return new String(in.readRawBytes(len), StandardCharsets.UTF_8);
        }

        Initializer parseTensor() throws IOException {
            String name = null;
            int dataType = 0;
            LongList dims = new LongList();
            long rawOffset = -1;
            int rawLength = 0;
            long typedStart = -1;
            boolean external = false;
            Map<String, String> externalData = new HashMap<>();
            LongList ints = new LongList();
            FloatList floats = new FloatList();
            List<Double> doubles = new ArrayList<>();
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                int field = WireFormat.getTagFieldNumber(tag);
                int wire = WireFormat.getTagWireType(tag);
                switch (field) {
                    case 1 -> readInts(wire, dims, "dims");
                    case 2 -> dataType = in.readInt32();
                    case 4 -> {
                        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            int len = length("float_data");
                            if (len % 4 != 0) throw AnewbException.file(path, "float_data of " + len
                                    + " bytes is not a whole number of floats");
                            int old = in.pushLimit(len);
                            while (!in.isAtEnd()) floats.add(in.readFloat());
                            in.popLimit(old);
                        } else {
                            floats.add(in.readFloat());
                        }
                    }
                    case 5, 7, 11 -> readInts(wire, ints, "integer data");
                    case 8 -> name = string("tensor name");
                    case 9 -> {
                        rawLength = length("raw_data");
                        rawOffset = in.getTotalBytesRead();
                        in.skipRawBytes(rawLength);
                    }
                    case 10 -> {
                        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                            int old = in.pushLimit(length("double_data"));
                            while (!in.isAtEnd()) doubles.add(in.readDouble());
                            in.popLimit(old);
                        } else {
                            doubles.add(in.readDouble());
                        }
                    }
                    case 13 -> {
                        int old = in.pushLimit(length("external_data"));
                        String k = null, v = null;
                        while (!in.isAtEnd()) {
                            int t = in.readTag();
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case 1 -> k = string("external_data key");
                                case 2 -> v = string("external_data value");
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(old);
                        if (k != null) externalData.put(k, v == null ? "" : v);
                    }
                    case 14 -> external = in.readInt32() == 1;
                    default -> in.skipField(tag);
                }
            }
            if (name == null || name.isEmpty()) throw AnewbException.file(path, "an initializer has no name");
            String where = "initializer '" + name + "'";
            DType dtype = dtypeOf(dataType);
            if (dtype == null) throw AnewbException.file(path, where + " has unsupported ONNX data type " + dataType);
            long[] shape = dims.toArray();
            long elements = 1;
            for (long d : shape) {
                if (d < 0) throw AnewbException.file(path, where + " has a negative dimension in "
                        + Arrays.toString(shape));
                try {
                    elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException e) {
                    throw AnewbException.file(path, where + " has dims " + Arrays.toString(shape)
                            + " whose element count overflows");
                }
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(elements, (long) dtype.bytes());
            } catch (ArithmeticException e) {
                throw AnewbException.file(path, where + " has dims " + Arrays.toString(shape)
                        + " whose byte size overflows");
            }
            MemorySegment data;
            if (external) {
                data = mapExternal(where, externalData, bytes);
            } else if (rawOffset >= 0) {
                if (rawLength != bytes) {
                    throw AnewbException.file(path, where + " has dims " + Arrays.toString(shape) + " " + dtype + " = "
                            + bytes
                            + " bytes but raw_data holds " + rawLength);
                }
                data = file.asSlice(rawOffset, rawLength);
            } else {
                data = typedData(where, dtype, elements, floats, ints, doubles);
            }
            return new Initializer(name, dtype, shape, data);
        }

        void readInts(int wire, LongList into, String what) throws IOException {
            if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int old = in.pushLimit(length(what));
                while (!in.isAtEnd()) into.add(in.readInt64());
                in.popLimit(old);
            } else {
                into.add(in.readInt64());
            }
        }

        /** Values stored in the typed repeated fields, repacked little-endian as the dtype's bytes. */
        MemorySegment typedData(String where, DType dtype, long elements, FloatList floats, LongList ints,
                List<Double> doubles) {
            long have = switch (dtype) {
                case F32 -> floats.size;
                case F64 -> doubles.size();
                default -> ints.size;
            };
            if (have != elements) {
                throw AnewbException.file(path, where + " needs " + elements + " values but holds " + have);
            }
            // elements ≤ values actually read from the file, so this allocation is bounded by the file size.
            MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(elements * dtype.bytes())]);
            for (int i = 0; i < elements; i++) {
                switch (dtype) {
                    case F32 -> seg.set(F32, 4L * i, floats.values[i]);
                    case F64 -> seg.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i,
                            doubles.get(i));
                    case I64 -> seg.set(I64, 8L * i, ints.values[i]);
                    case I32 -> seg.set(I32, 4L * i, (int) ints.values[i]);
                    // int32_data carries 16-bit types (including float16/bfloat16 bit patterns) in its low bits.
                    case I16, F16, BF16 -> seg.set(I16, 2L * i, (short) ints.values[i]);
                    default -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) ints.values[i]);
                }
            }
            return seg;
        }

        MemorySegment mapExternal(String where, Map<String, String> ext, long bytes) throws IOException {
            String location = ext.get("location");
            if (location == null) throw AnewbException.file(path, where
                    + " is stored externally but names no location");
            Path dir = path.toAbsolutePath().getParent();
            Path file = ContainedPaths.resolveInside(dir, location, path, where + " external data location");
            ContainedPaths.requireRealInside(ContainedPaths.trustRoot(dir), file);
            long offset, length;
            try {
                offset = Long.parseLong(ext.getOrDefault("offset", "0"));
                length = ext.containsKey("length") ? Long.parseLong(ext.get("length")) : bytes;
            } catch (NumberFormatException e) {
                throw AnewbException.file(path, where + " has a malformed external offset/length " + ext);
            }
            if (length != bytes) {
                throw AnewbException.file(path, where + " needs " + bytes + " bytes but its external data length is "
                        + length);
            }
            if (!Files.isRegularFile(file)) throw AnewbException.file(path, where + " is stored in " + file
                    + ", which does not exist");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (offset < 0 || offset > ch.size() || length > ch.size() - offset) {
                    throw AnewbException.file(file, where + " at offset " + offset + " with " + length
                            + " bytes runs past the end of the file (" + ch.size() + " bytes)");
                }
                return ch.map(FileChannel.MapMode.READ_ONLY, offset, length, arena);
            }
        }
    }

    /** ONNX TensorProto.DataType → our dtype; null when we do not read it. */
    static DType dtypeOf(int onnxType) {
        return switch (onnxType) {
            case 1 -> DType.F32;
            case 2 -> DType.U8;
            case 3 -> DType.I8;
            case 5 -> DType.I16;
            case 6 -> DType.I32;
            case 7 -> DType.I64;
            case 9 -> DType.BOOL;
            case 10 -> DType.F16;
            case 11 -> DType.F64;
            case 16 -> DType.BF16;
            case 17 -> DType.F8_E4M3; // FLOAT8E4M3FN
            case 19 -> DType.F8_E5M2;
            default -> null;
        };
    }

    private static final class LongList {
        long[] values = new long[8];
        int size;

        void add(long v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        long[] toArray() { return Arrays.copyOf(values, size); }
    }

    private static final class FloatList {
        float[] values = new float[8];
        int size;

        void add(float v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }
    }

    /** The graph's nodes in file order (topological in a valid model). */
    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    /**
     * The target shapes of the graph's Reshape nodes as far as constants state them, by node name: a dimension
     * computed at run time (the batch, the sequence) is -1 there, like an explicit -1. Torch exports build the
     * attention's [batch, seq, heads, head_dim] from Concat(Unsqueeze(...), ..., Constant(heads), Constant(d)).
     */
    public Map<String, long[]> reshapeTargets() {
        Map<String, Node> producers = new HashMap<>();
        for (Node n : nodes) for (String o : n.outputs()) producers.put(o, n);
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            if (!n.opType().equals("Reshape") || n.inputs().size() < 2) continue;
            long[] shape = stated(n.inputs().get(1), producers, 0);
            if (shape != null) out.put(n.name(), shape);
        }
        return out;
    }

    /** A small int vector a value is known to hold, with -1 for what is computed at run time; null if unknown. */
    private long[] stated(String value, Map<String, Node> producers, int depth) {
        if (constants.containsKey(value)) return constants.get(value).clone();
        Initializer init = initializers.get(value);
        if (init != null) {
            if (init.dtype() != DType.I64 || init.data().byteSize() > 16 * 8) return null;
            return init.data().toArray(I64);
        }
        Node p = producers.get(value);
        if (p == null || depth > 8) return null;
        return switch (p.opType()) {
            // Unsqueeze(Gather(Shape(x))) and friends: one dimension known only at run time
            case "Unsqueeze" -> {
                long[] v = stated(p.inputs().getFirst(), producers, depth + 1);
                yield v != null && v.length == 1 ? v : new long[]{-1};
            }
            case "Concat" -> {
                LongList all = new LongList();
                for (String in : p.inputs()) {
                    long[] part = stated(in, producers, depth + 1);
                    if (part == null) yield null;
                    for (long x : part) all.add(x);
                }
                yield all.toArray();
            }
            default -> null;
        };
    }

    /** The model's metadata_props (key → value), in file order. */
    public Map<String, String> metadata() { return Collections.unmodifiableMap(metadata); }

    public List<String> graphInputs() { return Collections.unmodifiableList(graphInputs); }

    public List<String> graphOutputs() { return Collections.unmodifiableList(graphOutputs); }

    /** ONNX initializer names, as stored. */
    public Set<String> onnxNames() { return Collections.unmodifiableSet(initializers.keySet()); }

    /** An initializer under its ONNX name, in its ONNX orientation, without renaming or transposing. */
    public TensorData rawInitializer(String onnxName) {
        Initializer i = initializers.get(onnxName);
        if (i == null) throw AnewbException.file(path, "no initializer named '" + onnxName + "'");
        return new TensorData(i.name, i.dtype, i.shape.clone(), i.data);
    }

    /** The ONNX initializer behind a Hugging Face name (the same name unless it is a renamed projection). */
    public String onnxName(String hfName) { return hfToOnnx.get(hfName); }

    @Override public Set<String> names() { return hfToOnnx.keySet(); }

    @Override
    public TensorData get(String name) {
        String onnx = hfToOnnx.get(name);
        if (onnx == null) throw missing(name);
        if (!transposed.contains(name)) {
            Initializer i = initializers.get(onnx);
            return new TensorData(name, i.dtype, i.shape.clone(), i.data);
        }
        WeakReference<TensorData> ref = transposedCache.get(name);
        TensorData t = ref == null ? null : ref.get();
        if (t == null) {
            t = transpose(name, rawInitializer(onnx));
            transposedCache.put(name, new WeakReference<>(t));
        }
        return t;
    }

    /** [in, out] → [out, in] as F32. */
    private static TensorData transpose(String name, TensorData w) {
        int rows = w.dim(0), cols = w.dim(1);
        float[] t = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) t[c * rows + r] = w.getFloat((long) r * cols + c);
        }
        return TensorData.ofFloats(name, t, cols, rows);
    }

    @Override public Path origin() { return path; }

    @Override public void close() { arena.close(); }
}
