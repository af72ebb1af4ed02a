package dev.anewb.convert.coreml;

import dev.anewb.job.JobContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code weights/weight.bin} in the MIL blob storage format (coremltools {@code MILBlob/Blob/StorageFormat.hpp},
 * version 2), little-endian throughout:
 * <pre>
 * storage_header (64 bytes): u32 count, u32 version = 2, 7 × u64 reserved (0)
 * then per blob, each at the next multiple of 64:
 *   blob_metadata (64 bytes): u32 sentinel 0xDEADBEEF, u32 BlobDataType, u64 sizeInBytes, u64 offset of the data,
 *                             5 × u64 reserved (0)
 *   data (sizeInBytes bytes, at metadata offset + 64, so 64-byte aligned too)
 * </pre>
 * A program refers to a blob by the offset of its metadata. Blobs are planned first (sizes and offsets are pure
 * arithmetic), so the program can be built before any weight is read; {@link #write} then asks each blob for its
 * bytes in turn: peak memory is one tensor, as for the ONNX writer.
 */
final class WeightBlobFile {
    static final int ALIGNMENT = 64;
    static final int SENTINEL = 0xDEADBEEF;
    static final int VERSION = 2;
    static final String PATH_IN_PROGRAM = "@model_path/weights/weight.bin";

    /** One planned blob: its bytes come from {@code content} when the file is written. */
    record Blob(String name, MilDataType dtype, long metadataOffset, long sizeInBytes, Supplier<byte[]> content) {
        long dataOffset() { return metadataOffset + ALIGNMENT; }
    }

    private final List<Blob> blobs = new ArrayList<>();
    private long end = ALIGNMENT;

    /** Plans a blob of {@code sizeInBytes} bytes of {@code dtype}; returns the offset the program refers to it by. */
    Blob add(String name, MilDataType dtype, long sizeInBytes, Supplier<byte[]> content) {
        if (dtype.blob == 0) throw new IllegalArgumentException(dtype + " has no blob storage type");
        long meta = align(end);
        Blob b = new Blob(name, dtype, meta, sizeInBytes, content);
        blobs.add(b);
        end = b.dataOffset() + sizeInBytes;
        return b;
    }

    List<Blob> blobs() { return List.copyOf(blobs); }

    /** Size of the whole file. */
    long size() { return end; }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Writes the file, one blob's bytes at a time; progress per blob, cancellation checked between blobs. */
    void write(Path file, JobContext ctx) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(ALIGNMENT).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(blobs.size()).putInt(VERSION).rewind();
            writeFully(ch, header);
            long pos = ALIGNMENT;
            for (int i = 0; i < blobs.size(); i++) {
                ctx.checkCancelled();
                Blob b = blobs.get(i);
                // Zero padding up to the metadata, the metadata, then the data.
                int padding = (int) (b.metadataOffset - pos);
                ByteBuffer meta = ByteBuffer.allocate(padding + ALIGNMENT).order(ByteOrder.LITTLE_ENDIAN);
                meta.position(padding);
                meta.putInt(SENTINEL).putInt(b.dtype.blob).putLong(b.sizeInBytes).putLong(b.dataOffset()).rewind();
                writeFully(ch, meta);
                byte[] data = b.content.get();
                if (data.length != b.sizeInBytes) {
                    throw new IllegalStateException(b.name + ": " + data.length + " bytes produced, " + b.sizeInBytes
                            + " planned");
                }
                writeFully(ch, ByteBuffer.wrap(data));
                pos = b.dataOffset() + b.sizeInBytes;
                ctx.progress((i + 1) / (double) blobs.size(), b.name);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
