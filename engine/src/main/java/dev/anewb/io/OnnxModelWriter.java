package dev.anewb.io;

import com.google.protobuf.CodedOutputStream;
import dev.anewb.AnewbException;
import dev.anewb.job.JobContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes an ONNX ModelProto in the protobuf wire format with {@link CodedOutputStream} (no generated classes),
 * streaming initializer bytes one tensor at a time: each initializer's bytes are produced by a supplier only when
 * the writer reaches it, so peak memory is one tensor, not the model. That works because every length prefix is
 * known up front: an initializer declares its raw byte count before its bytes exist.
 *
 * <p>Field numbers follow onnx/onnx.proto (the same ones {@link OnnxWeights} reads): ModelProto ir_version 1,
 * producer_name 2, producer_version 3, graph 7, opset_import 8; OperatorSetIdProto domain 1, version 2; GraphProto
 * node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4, attribute 5;
 * AttributeProto name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20; TensorProto dims 1, data_type 2, name 8,
 * raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor elem_type 1, shape 2;
 * TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2.
 *
 * <p>The file is written to a temporary sibling and renamed into place, so an interrupted or failed export leaves
 * no file behind.
 */
public final class OnnxModelWriter {
    /** TensorProto.DataType values we write. */
    public static final int FLOAT = 1, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10;

    /** A node attribute: exactly one of the value kinds is set. */
    public record Attribute(String name, int type, float f, long i, String s, float[] floats, long[] ints,
            Initializer t) {
        public static Attribute of(String name, long i) { return new Attribute(name, 2, 0, i, null, null, null, null); }
        public static Attribute of(String name,
                float f) { return new Attribute(name, 1, f, 0, null, null, null, null); }
        public static Attribute of(String name, String s) { return new Attribute(name, 3, 0, 0, s, null, null, null); }
        public static Attribute ints(String name,
                long... v) { return new Attribute(name, 7, 0, 0, null, null, v, null); }
    }

    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
            List<Attribute> attributes) { }

    /**
     * An initializer whose {@code rawBytes} little-endian bytes come from {@code data} when written.
     * {@code data} must return exactly {@code rawBytes} bytes.
     */
    public record Initializer(String name, int dataType, long[] dims, long rawBytes, Supplier<byte[]> data) { }

    /** A graph input or output: element type and dims, each a Long (fixed) or a String (named dynamic dim). */
    public record ValueInfo(String name, int elemType, List<Object> dims) { }

    private final List<Node> nodes = new ArrayList<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final List<ValueInfo> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    private final String graphName;
    private final long irVersion;
    private final long opset;
    private final String producerVersion;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public OnnxModelWriter(String graphName, long irVersion, long opset, String producerVersion) {
        this.graphName = graphName;
        this.irVersion = irVersion;
        this.opset = opset;
        this.producerVersion = producerVersion;
    }

    public void node(Node n) { nodes.add(n); }

    public void initializer(Initializer i) { initializers.add(i); }

    public void input(ValueInfo v) { inputs.add(v); }

    public void output(ValueInfo v) { outputs.add(v); }

    /** A ModelProto metadata_props entry (field 14): what a reader of the file should know about it. */
    public void metadata(String key, String value) { metadata.put(key, value); }

    public int nodeCount() { return nodes.size(); }

    /** Writes the model to {@code out} via a temporary sibling and an atomic rename; reports progress per initializer.
     *
     */
    public void write(Path out, JobContext ctx) {
        Path dir = out.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = AtomicFiles.tempBeside(out);
        } catch (IOException e) {
            throw AnewbException.file(out, "cannot create the output file: " + e.getMessage(), e);
        }
        boolean done = false;
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                writeTo(os, ctx);
            }
            AtomicFiles.moveReplacing(tmp, out);
            done = true;
        } catch (IOException e) {
            throw AnewbException.file(out, "cannot write: " + e.getMessage(), e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }

    private void writeTo(OutputStream os, JobContext ctx) throws IOException {
        List<byte[]> small = new ArrayList<>();
        long graphSize = 0;
        for (Node n : nodes) {
            byte[] b = nodeBytes(n);
            small.add(b);
            graphSize += delimitedSize(1, b.length);
        }
        graphSize += CodedOutputStream.computeStringSize(2, graphName);
        List<byte[]> headers = new ArrayList<>();
        for (Initializer init : initializers) {
            byte[] h = tensorHeader(init);
            headers.add(h);
            graphSize += delimitedSize(5, tensorSize(h, init.rawBytes));
        }
        List<byte[]> infos = new ArrayList<>();
        for (ValueInfo v : inputs) infos.add(valueInfo(v));
        for (ValueInfo v : outputs) infos.add(valueInfo(v));
        for (byte[] b : infos) graphSize += delimitedSize(11, b.length);
        // A protobuf message cannot exceed 2 GiB; bigger models need ONNX external data, which we do not write yet.
        if (graphSize > Integer.MAX_VALUE - 1024) {
            throw new AnewbException("the ONNX model would be " + graphSize
                    + " bytes, more than the 2 GiB a protobuf file can hold"
                    + " (external-data export is not supported yet)");
        }

        CodedOutputStream c = CodedOutputStream.newInstance(os, 1 << 16);
        c.writeInt64(1, irVersion);
        c.writeString(2, "anewb");
        c.writeString(3, producerVersion);
        c.writeTag(7, 2);
        c.writeUInt32NoTag((int) graphSize);
        for (byte[] b : small) c.writeByteArray(1, b);
        c.writeString(2, graphName);
        for (int i = 0; i < initializers.size(); i++) {
            ctx.checkCancelled();
            Initializer init = initializers.get(i);
            byte[] h = headers.get(i);
            c.writeTag(5, 2);
            c.writeUInt32NoTag((int) tensorSize(h, init.rawBytes));
            c.writeRawBytes(h);
            byte[] raw = init.data.get();
            if (raw.length != init.rawBytes) {
                throw new IllegalStateException(init.name + ": " + raw.length + " bytes produced, " + init.rawBytes
                        + " declared");
            }
            c.writeByteArray(9, raw);
            ctx.progress((i + 1) / (double) initializers.size(), init.name);
        }
        for (int i = 0; i < infos.size(); i++) c.writeByteArray(i < inputs.size() ? 11 : 12, infos.get(i));
        c.writeTag(8, 2);
        byte[] opsetId = message(o -> {
            o.writeString(1, "");
            o.writeInt64(2, opset);
        });
        c.writeUInt32NoTag(opsetId.length);
        c.writeRawBytes(opsetId);
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            c.writeByteArray(14, message(o -> {
                o.writeString(1, e.getKey());
                o.writeString(2, e.getValue());
            }));
        }
        c.flush();
    }

    private static long delimitedSize(int field, long len) {
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt64SizeNoTag(len) + len;
    }

    private static long tensorSize(byte[] header, long raw) {
        return header.length + delimitedSize(9, raw);
    }

    private interface Body { void write(CodedOutputStream o) throws IOException; }

    private static byte[] message(Body body) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(bos);
        body.write(o);
        o.flush();
        return bos.toByteArray();
    }

    private static byte[] tensorHeader(Initializer t) throws IOException {
        return message(o -> {
            for (long d : t.dims) o.writeInt64(1, d);
            o.writeInt32(2, t.dataType);
            o.writeString(8, t.name);
        });
    }

    private static byte[] nodeBytes(Node n) throws IOException {
        return message(o -> {
            for (String in : n.inputs) o.writeString(1, in);
            for (String out : n.outputs) o.writeString(2, out);
            o.writeString(3, n.name);
            o.writeString(4, n.opType);
            for (Attribute a : n.attributes) o.writeByteArray(5, attribute(a));
        });
    }

    private static byte[] attribute(Attribute a) throws IOException {
        return message(o -> {
            o.writeString(1, a.name);
            switch (a.type) {
                case 1 -> o.writeFloat(2, a.f);
                case 2 -> o.writeInt64(3, a.i);
                case 3 -> o.writeByteArray(4, a.s.getBytes(StandardCharsets.UTF_8));
                case 7 -> { for (long v : a.ints) o.writeInt64(8, v); }
                default -> throw new IllegalArgumentException("attribute type " + a.type);
            }
            o.writeInt32(20, a.type);
        });
    }

    private static byte[] valueInfo(ValueInfo v) throws IOException {
        byte[] shape = message(o -> {
            for (Object d : v.dims) {
                byte[] dim = message(x -> {
                    if (d instanceof Long l) x.writeInt64(1, l);
                    else x.writeString(2, (String) d);
                });
                o.writeByteArray(1, dim);
            }
        });
        byte[] tensorType = message(o -> {
            o.writeInt32(1, v.elemType);
            o.writeByteArray(2, shape);
        });
        byte[] type = message(o -> o.writeByteArray(1, tensorType));
        return message(o -> {
            o.writeString(1, v.name);
            o.writeByteArray(2, type);
        });
    }
}
