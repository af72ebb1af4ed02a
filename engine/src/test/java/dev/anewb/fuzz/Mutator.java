package dev.anewb.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Mutates a seed file the ways a damaged or hostile file differs from a good one: bit flips, "interesting"
 * bytes, truncation, an 8-byte little-endian length rewritten (a safetensors header length), a protobuf varint
 * rewritten to a huge value, a digit run replaced by a huge number (a JSON shape or count), bytes spliced in from
 * another seed, a range duplicated, nesting brackets inserted. The same mutations serve the bounded JUnit run
 * (random choices) and the coverage-guided Jazzer run (choices from the fuzzer's input).
 */
final class Mutator {
    /** Where the choices come from. */
    interface Choices {
        /** A number in [0, bound). */
        int pick(int bound);

        long anyLong();
    }

    private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, Integer.MAX_VALUE,
            0xffffffffL,
            1L << 31, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, 1_000_000_000_000L};
    // 100000, 2147483647 and 16777217: ints a config may hold that no model has (issue 17: layers, sizes past 2^24)
    private static final String[] NUMBERS = {"0", "-1", "1000000000000", "99999999999999999999", "2147483648", "1e308",
            "-0",
            "1.5", "null", "\"x\"", "100000", "2147483647", "16777217"};

    private Mutator() { }

    static byte[] mutate(List<byte[]> seeds, Choices c) {
        byte[] b = seeds.get(c.pick(seeds.size())).clone();
        int ops = 1 + c.pick(4);
        for (int i = 0; i < ops && b.length > 0; i++) b = once(b, seeds, c);
        return b;
    }

    private static byte[] once(byte[] b, List<byte[]> seeds, Choices c) {
        // Most format damage is near the front (headers, lengths): bias positions towards it half the time.
        int pos = c.pick(2) == 0 ? c.pick(Math.min(b.length, 256)) : c.pick(b.length);
        switch (c.pick(9)) {
            case 0 -> b[pos] ^= (byte) (1 << c.pick(8));
            case 1 -> b[pos] = (byte) INTERESTING[c.pick(INTERESTING.length)];
            case 2 -> b = Arrays.copyOf(b, pos);
            case 3 -> {
                if (b.length >= 8) {
                    int at = Math.min(pos, b.length - 8);
                    long v = c.pick(3) == 0 ? c.anyLong() : INTERESTING[c.pick(INTERESTING.length)];
                    ByteBuffer.wrap(b, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                }
            }
            case 4 -> { // a varint of 5..10 bytes, as protobuf lengths and counts are written
                byte[] v = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) (0x07 + c.pick(9))};
                b = splice(b, pos, Math.min(b.length - pos, 1 + c.pick(3)), v);
            }
            case 5 -> { // a run of digits becomes a huge or odd number
                int start = pos;
                while (start < b.length && !Character.isDigit(b[start])) start++;
                if (start < b.length) {
                    int end = start;
                    while (end < b.length && Character.isDigit(b[end])) end++;
                    b = splice(b, start, end - start, NUMBERS[c.pick(NUMBERS.length)].getBytes());
                }
            }
            case 6 -> { // bytes from another (or the same) seed
                byte[] other = seeds.get(c.pick(seeds.size()));
                if (other.length > 0) {
                    int from = c.pick(other.length), len = Math.min(other.length - from, 1 + c.pick(64));
                    b = splice(b, pos, c.pick(Math.min(64, b.length - pos) + 1),
                            Arrays.copyOfRange(other, from, from + len));
                }
            }
            case 7 -> { // duplicate a range
                int len = Math.min(b.length - pos, 1 + c.pick(256));
                b = splice(b, pos, 0, Arrays.copyOfRange(b, pos, pos + len));
            }
            default -> { // nesting: a bracket bomb
                byte[] bomb = new byte[1 + c.pick(4000)];
                Arrays.fill(bomb, (byte) (c.pick(2) == 0 ? '[' : '{'));
                b = splice(b, pos, 0, bomb);
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }
}
