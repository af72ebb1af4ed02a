package dev.anewb.io;

import dev.anewb.AnewbException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Reads RIFF/WAVE audio by hand (no dependency): PCM 8-bit unsigned, 16-, 24- and 32-bit signed integer, IEEE
 * float 32/64, also inside WAVE_FORMAT_EXTENSIBLE; any number of channels, averaged to mono. Other encodings
 * (A-law, µ-law, ADPCM, MP3 ...) are refused by name. Every chunk size is checked against the bytes the file
 * really has before anything is allocated, so a truncated or hostile header cannot ask for gigabytes.
 *
 * <p>{@link #read16k} resamples to 16 kHz, the rate Whisper's feature extractor requires, with
 * {@link #resample}: band-limited windowed-sinc interpolation (Kaiser window, β = 8.6, 32 zero crossings of the
 * lower rate's sinc, cutoff at 0.95 of the lower Nyquist frequency). It is not bit-identical to librosa/soxr, which
 * users of transformers usually resample with; both keep the band below ~7.6 kHz and differ only in the
 * transition band.
 */
public final class WavReader {
    private WavReader() { }

    /** Mono samples in [-1, 1] at the file's rate. */
    public record Audio(float[] samples, int sampleRate, int channels, String encoding) {
        public double seconds() { return samples.length / (double) sampleRate; }
    }

    public static final int WHISPER_RATE = 16000;

    /** Reads and resamples to 16 kHz mono. */
    public static Audio read16k(Path file) {
        Audio a = read(file);
        if (a.sampleRate() == WHISPER_RATE) return a;
        return new Audio(resample(a.samples(), a.sampleRate(), WHISPER_RATE), WHISPER_RATE, a.channels(), a.encoding());
    }

    public static Audio read(Path file) {
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) throw AnewbException.file(file,
                    "WAV file larger than 2 GB is not supported");
            b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) { }
            b.flip();
        } catch (NoSuchFileException e) {
            throw AnewbException.file(file, "no such file");
        } catch (IOException e) {
            throw AnewbException.file(file, "cannot read (" + e.getMessage() + ")", e);
        }
        return parse(file, b);
    }

    private static Audio parse(Path file, ByteBuffer b) {
        if (b.remaining() < 12 || !tag(b, 0).equals("RIFF") || !tag(b, 8).equals("WAVE")) {
            throw AnewbException.file(file, "not a WAV file (no RIFF/WAVE header); give a RIFF/WAVE file");
        }
        int pos = 12;
        int format = -1, channels = 0, rate = 0, blockAlign = 0, bits = 0;
        while (pos + 8 <= b.limit()) {
            String id = tag(b, pos);
            long len = Integer.toUnsignedLong(b.getInt(pos + 4));
            long available = b.limit() - (pos + 8L);
            if (len > available) {
                throw AnewbException.file(file, "truncated: chunk \"" + id + "\" says " + len + " bytes but only "
                        + available + " remain in the file");
            }
            int body = pos + 8;
            if (id.equals("fmt ")) {
                if (len < 16) throw AnewbException.file(file, "fmt chunk of " + len
                        + " bytes is too short (16 needed)");
                format = Short.toUnsignedInt(b.getShort(body));
                channels = Short.toUnsignedInt(b.getShort(body + 2));
                rate = b.getInt(body + 4);
                blockAlign = Short.toUnsignedInt(b.getShort(body + 12));
                bits = Short.toUnsignedInt(b.getShort(body + 14));
                if (format == 0xFFFE) {
                    if (len < 40) throw AnewbException.file(file, "WAVE_FORMAT_EXTENSIBLE fmt chunk of " + len
                            + " bytes is too short (40 needed)");
                    format = Short.toUnsignedInt(b.getShort(body + 24)); // first two bytes of the SubFormat GUID
                }
            } else if (id.equals("data")) {
                if (format < 0) throw AnewbException.file(file, "data chunk before the fmt chunk");
                return decode(file, b, body, (int) len, format, channels, rate, blockAlign, bits);
            }
            pos = body + (int) len + (int) (len & 1); // chunks are padded to even sizes
        }
        throw AnewbException.file(file, format < 0 ? "no fmt chunk: truncated or not a WAV file"
                : "no data chunk: truncated WAV file");
    }

    private static Audio decode(Path file, ByteBuffer b, int at, int len, int format, int channels, int rate,
            int blockAlign, int bits) {
        String enc = switch (format) {
            case 1 -> switch (bits) {
                case 8, 16, 24, 32 -> "PCM " + bits + "-bit";
                default -> throw AnewbException.file(file, "PCM with " + bits
                        + " bits per sample is not supported (8, 16, 24 or 32)");
            };
            case 3 -> switch (bits) {
                case 32, 64 -> "float " + bits + "-bit";
                default -> throw AnewbException.file(file, "IEEE float with " + bits
                        + " bits per sample is not supported (32 or 64)");
            };
            default -> throw AnewbException.file(file, "unsupported WAV encoding " + formatName(format)
                    + "; supported: PCM 8/16/24/32-bit and IEEE float 32/64-bit");
        };
        if (channels < 1) throw AnewbException.file(file, "fmt chunk says " + channels + " channels");
        // Real audio is recorded between telephone (8 kHz, 4 kHz at the least) and studio rates; anything else is a
        // damaged
        // header, and resampling from it would size the output from a nonsense ratio.
        if (rate < 1000 || rate > 768_000) {
            throw AnewbException.file(file, "fmt chunk says a sample rate of " + Integer.toUnsignedString(rate)
                    + " Hz (expected 1000 to 768000 Hz)");
        }
        int bytes = bits / 8;
        if (blockAlign != channels * bytes) {
            throw AnewbException.file(file, "block align " + blockAlign + " does not match " + channels
                    + " channels of " + bits + " bits");
        }
        int frames = len / blockAlign;
        float[] out = new float[frames];
        for (int f = 0; f < frames; f++) {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                int o = at + f * blockAlign + c * bytes;
                sum += switch (enc) {
                    case "PCM 8-bit" -> (Byte.toUnsignedInt(b.get(o)) - 128) / 128.0;
                    case "PCM 16-bit" -> b.getShort(o) / 32768.0;
                    case "PCM 24-bit" -> ((b.get(o) & 0xFF) | (b.get(o + 1) & 0xFF) << 8 | b.get(o + 2) << 16)
                            / 8388608.0;
                    case "PCM 32-bit" -> b.getInt(o) / 2147483648.0;
                    case "float 32-bit" -> b.getFloat(o);
                    default -> b.getDouble(o);
                };
            }
            out[f] = (float) (sum / channels);
        }
        return new Audio(out, rate, channels, enc);
    }

    private static String formatName(int format) {
        return switch (format) {
            case 2 -> "Microsoft ADPCM (format 2)";
            case 6 -> "A-law (format 6)";
            case 7 -> "µ-law (format 7)";
            case 0x11 -> "IMA ADPCM (format 0x11)";
            case 0x31 -> "GSM 6.10 (format 0x31)";
            case 0x50 -> "MPEG (format 0x50)";
            case 0x55 -> "MP3 (format 0x55)";
            default -> "format 0x" + Integer.toHexString(format);
        };
    }

    /** A chunk id as text; bytes outside printable ASCII are shown as \xNN so a damaged id cannot break a message line.
     *
     */
    private static String tag(ByteBuffer b, int at) {
        StringBuilder sb = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            int c = b.get(at + i) & 0xFF;
            if (c >= 0x20 && c < 0x7F) sb.append((char) c);
            else sb.append(String.format(Locale.ROOT, "\\x%02X", c));
        }
        return sb.toString();
    }

    private static final int ZERO_CROSSINGS = 32;
    private static final double KAISER_BETA = 8.6;
    private static final double ROLLOFF = 0.95;

    /** Band-limited resampling from {@code from} Hz to {@code to} Hz (see the class comment). */
    public static float[] resample(float[] x, int from, int to) {
        if (from == to) return x.clone();
        double ratio = (double) to / from;
        int n = (int) Math.ceil(x.length * ratio);
        // Cutoff relative to the input rate: below the lower of the two Nyquist frequencies.
        double cutoff = ROLLOFF * Math.min(1.0, ratio) / 2; // cycles per input sample
        double halfWidth = ZERO_CROSSINGS / (2 * cutoff); // input samples on each side
        float[] y = new float[n];
        IntStream.range(0, n).parallel().forEach(j -> {
            double t = j / ratio; // position in input samples
            int lo = (int) Math.ceil(t - halfWidth), hi = (int) Math.floor(t + halfWidth);
            double s = 0;
            for (int i = Math.max(lo, 0); i <= Math.min(hi, x.length - 1); i++) {
                double d = i - t;
                double r = d / halfWidth;
                double window = kaiser(Math.abs(r));
                double arg = 2 * cutoff * d;
                double sinc = arg == 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
                s += x[i] * 2 * cutoff * sinc * window;
            }
            y[j] = (float) s;
        });
        return y;
    }

    private static final int WINDOW_TABLE = 8192;
    /** The Kaiser window over |r| in [0, 1], tabulated once: the Bessel series per tap would dominate the cost. */
    private static final double[] WINDOW = new double[WINDOW_TABLE + 2];

    static {
        double i0Beta = besselI0(KAISER_BETA);
        for (int i = 0; i <= WINDOW_TABLE; i++) {
            double r = i / (double) WINDOW_TABLE;
            WINDOW[i] = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
        }
    }

    private static double kaiser(double r) {
        if (r >= 1) return 0;
        double p = r * WINDOW_TABLE;
        int i = (int) p;
        double f = p - i;
        return WINDOW[i] * (1 - f) + WINDOW[i + 1] * f;
    }

    /** Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20). */
    static double besselI0(double x) {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 200; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return sum;
    }
}
