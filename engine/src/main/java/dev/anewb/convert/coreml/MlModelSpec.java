package dev.anewb.convert.coreml;

import java.util.List;
import java.util.Map;

/**
 * Serialises {@code Data/com.apple.CoreML/model.mlmodel}: a Core ML {@code Model} holding an {@code MLProgram}, in the
 * protobuf wire format through {@link ProtoMessage}. Field numbers follow apple/coremltools {@code mlmodel/format}:
 * <ul>
 * <li>Model.proto: Model specificationVersion 1, description 2, mlProgram 502; ModelDescription input 1, output 10,
 *     metadata 100; FeatureDescription name 1, shortDescription 2, type 3; Metadata shortDescription 1,
 *     versionString 2, author 3, license 4, userDefined 100 (map&lt;string, string&gt;).</li>
 * <li>FeatureTypes.proto: FeatureType multiArrayType 5; ArrayFeatureType shape 1, dataType 2, enumeratedShapes 21,
 *     shapeRange 31; EnumeratedShapes shapes 1; Shape shape 1; ShapeRange sizeRanges 1; SizeRange lowerBound 1,
 *     upperBound 2 (−1: unbounded).</li>
 * <li>MIL.proto: Program version 1, functions 2 (map); Function inputs 1, opset 2, block_specializations 3 (map);
 *     Block outputs 2, operations 3; Operation type 1, inputs 2 (map of Argument), outputs 3, attributes 5 (map of
 *     Value); Argument arguments 1; Binding name 1, value 2; NamedValueType name 1, type 2; ValueType tensorType 1;
 *     TensorType dataType 1, rank 2, dimensions 3; Dimension constant 1 (ConstantDimension size 1), unknown 2;
 *     Value type 2, immediateValue 3, blobFileValue 5; ImmediateValue tensor 1; BlobFileValue fileName 1,
 *     offset 2; TensorValue floats 1, ints 2, bools 3, strings 4, bytes 7 (each a message with values 1).</li>
 * </ul>
 */
final class MlModelSpec {
    private MlModelSpec() { }

    /** How a model input's sequence axis may vary: fixed, a range (RangeDim), or a list of sizes (enumerated). */
    sealed interface Flexibility {
        record Range(int axis, int min, int max) implements Flexibility { }

        record Enumerated(int axis, int[] sizes) implements Flexibility { }
    }

    /**
     * A model input or output as the model description declares it. {@code shape} is the default shape (every
     * dimension known); {@code flexibility} null for a fixed shape.
     */
    record Feature(String name, String description, MilDataType dtype, long[] shape, Flexibility flexibility) { }

    record Metadata(String shortDescription, String version, String author, String license,
                    Map<String, String> userDefined) { }

    static byte[] serialize(int specificationVersion, String opset, List<Feature> inputs, List<Feature> outputs,
                            Metadata metadata, MilBlock block, List<String> blockOutputs) {
        ProtoMessage description = new ProtoMessage();
        for (Feature f : inputs) description.message(1, feature(f, false));
        for (Feature f : outputs) description.message(10, feature(f, true));
        description.message(100, metadata(metadata));

        ProtoMessage b = new ProtoMessage();
        for (String o : blockOutputs) b.string(2, o);
        for (MilOperation op : block.operations()) b.message(3, operation(op));
        ProtoMessage function = new ProtoMessage();
        for (MilVar in : block.inputs()) function.message(1, namedType(in));
        function.string(2, opset);
        function.mapEntry(3, opset, b);
        ProtoMessage program = new ProtoMessage().int64(1, 1).mapEntry(2, "main", function);

        return new ProtoMessage().int32(1, specificationVersion).message(2, description).message(502, program)
                .toByteArray();
    }

    /** A flexible output declares its type only, as coremltools writes one; inputs declare the shape and its range. */
    private static ProtoMessage feature(Feature f, boolean output) {
        boolean typeOnly = output && f.flexibility() != null;
        ProtoMessage array = typeOnly ? new ProtoMessage() : new ProtoMessage().packedInt64(1, f.shape());
        array.int32(2, f.dtype().array);
        switch (typeOnly ? null : f.flexibility()) {
            case null -> { }
            case Flexibility.Range r -> {
                ProtoMessage ranges = new ProtoMessage();
                for (int i = 0; i < f.shape().length; i++) {
                    long lo = i == r.axis() ? r.min() : f.shape()[i], hi = i == r.axis() ? r.max() : f.shape()[i];
                    ranges.message(1, new ProtoMessage().uint64(1, lo).int64(2, hi));
                }
                array.message(31, ranges);
            }
            case Flexibility.Enumerated en -> {
                ProtoMessage shapes = new ProtoMessage();
                for (int size : en.sizes()) {
                    long[] s = f.shape().clone();
                    s[en.axis()] = size;
                    shapes.message(1, new ProtoMessage().packedInt64(1, s));
                }
                array.message(21, shapes);
            }
        }
        ProtoMessage m = new ProtoMessage().string(1, f.name());
        if (f.description() != null && !f.description().isEmpty()) m.string(2, f.description());
        return m.message(3, new ProtoMessage().message(5, array));
    }

    private static ProtoMessage metadata(Metadata md) {
        ProtoMessage m = new ProtoMessage();
        if (md.shortDescription() != null) m.string(1, md.shortDescription());
        if (md.version() != null) m.string(2, md.version());
        if (md.author() != null) m.string(3, md.author());
        if (md.license() != null) m.string(4, md.license());
        for (var e : md.userDefined().entrySet()) m.mapEntry(100, e.getKey(), e.getValue());
        return m;
    }

    private static ProtoMessage operation(MilOperation op) {
        ProtoMessage m = new ProtoMessage().string(1, op.type());
        for (var e : op.inputs().entrySet()) {
            ProtoMessage arg = new ProtoMessage();
            for (MilBinding binding : e.getValue()) {
                arg.message(1, switch (binding) {
                    case MilVar v -> new ProtoMessage().string(1, v.name());
                    case MilValue v -> new ProtoMessage().message(2, value(v));
                });
            }
            m.mapEntry(2, e.getKey(), arg);
        }
        for (MilVar out : op.outputs()) m.message(3, namedType(out));
        for (var e : op.attributes().entrySet()) m.mapEntry(5, e.getKey(), value(e.getValue()));
        return m;
    }

    private static ProtoMessage namedType(MilVar v) {
        return new ProtoMessage().string(1, v.name()).message(2, valueType(v.type()));
    }

    static ProtoMessage valueType(MilType t) {
        ProtoMessage tensor = new ProtoMessage().int32(1, t.dtype().mil);
        if (t.rank() > 0) tensor.int64(2, t.rank());
        for (long d : t.shape()) {
            ProtoMessage dim = d < 0 ? new ProtoMessage().emptyMessage(2)
                    : new ProtoMessage().message(1, new ProtoMessage().uint64(1, d));
            tensor.message(3, dim);
        }
        return new ProtoMessage().message(1, tensor);
    }

    private static ProtoMessage value(MilValue v) {
        ProtoMessage m = new ProtoMessage().message(2, valueType(v.type()));
        switch (v) {
            case MilValue.Immediate im -> m.message(3, new ProtoMessage().message(1, tensorValue(im)));
            case MilValue.Stored s -> m.message(5, new ProtoMessage().string(1, WeightBlobFile.PATH_IN_PROGRAM)
                    .uint64(2, s.blob().metadataOffset()));
        }
        return m;
    }

    private static ProtoMessage tensorValue(MilValue.Immediate im) {
        return switch (im.data()) {
            case float[] f -> new ProtoMessage().message(1, new ProtoMessage().packedFloats(1, f));
            case int[] i -> new ProtoMessage().message(2, new ProtoMessage().packedInt32(1, i));
            case boolean[] b -> new ProtoMessage().message(3, new ProtoMessage().packedBools(1, b));
            case String[] s -> {
                ProtoMessage strings = new ProtoMessage();
                for (String x : s) strings.string(1, x);
                yield new ProtoMessage().message(4, strings);
            }
            case byte[] b -> new ProtoMessage().message(7, new ProtoMessage().bytes(1, b));
            default -> throw new IllegalArgumentException("immediate value of " + im.data().getClass());
        };
    }
}
