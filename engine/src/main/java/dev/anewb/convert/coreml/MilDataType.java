package dev.anewb.convert.coreml;

/**
 * The element types the exporter writes, with their numbers in the three places Core ML spells them: MIL.proto's
 * {@code DataType}, the blob storage format's {@code BlobDataType} (0 where a type never goes to weight.bin) and
 * FeatureTypes.proto's {@code ArrayFeatureType.ArrayDataType} (0 where a type is never a model input or output).
 */
public enum MilDataType {
    BOOL(1, 0, 0, 1, "bool"),
    STRING(2, 0, 0, 0, "string"),
    FP16(10, 1, 65552, 2, "fp16"),
    FP32(11, 2, 65568, 4, "fp32"),
    INT8(21, 4, 0, 1, "int8"),
    INT32(23, 0, 131104, 4, "int32"),
    UINT8(31, 3, 0, 1, "uint8");

    /** MIL.proto DataType. */
    final int mil;
    /** StorageFormat.hpp BlobDataType. */
    final int blob;
    /** FeatureTypes.proto ArrayFeatureType.ArrayDataType. */
    final int array;
    /** Bytes per element (0 for strings). */
    final int bytes;
    /** The name the {@code cast} op's dtype parameter takes. */
    final String castName;

    MilDataType(int mil, int blob, int array, int bytes, String castName) {
        this.mil = mil;
        this.blob = blob;
        this.array = array;
        this.bytes = bytes;
        this.castName = castName;
    }

    boolean isFloat() { return this == FP16 || this == FP32; }
}
