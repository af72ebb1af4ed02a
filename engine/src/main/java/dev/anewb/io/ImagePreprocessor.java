package dev.anewb.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.model.FeatureTensor;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * transformers' {@code ViTImageProcessor}: decode (PNG/JPEG through ImageIO), convert to RGB, resize to
 * {@code size} with PIL's resampling (the processor hands a uint8 image to {@code PIL.Image.resize}), rescale by
 * {@code rescale_factor}, normalize with {@code image_mean}/{@code image_std}, and lay out channels first:
 * {@code pixel_values} [1, 3, H, W].
 *
 * <p>The resize is Pillow's {@code ImagingResample} reproduced: separable, horizontal pass then vertical, each output
 * pixel a normalized sum of the filter over the input pixels within {@code support · max(1, scale)} of its center
 * (so downscaling antialiases), coefficients in 22-bit fixed point and the intermediate image clipped to uint8,
 * exactly as Pillow does for 8-bit images; an axis whose size does not change is not touched, and an image already
 * at the target size is returned as is.
 */
public record ImagePreprocessor(boolean doResize, int height, int width, int resample, boolean doRescale,
        double rescaleFactor,
                                boolean doNormalize, double[] mean, double[] std) {

    /** An RGB image, 8 bits per channel, row-major HWC. */
    public record Rgb(int height, int width, int[] hwc) { }

    private static final double[] HALF = {0.5, 0.5, 0.5};

    /** ViTImageProcessor's defaults at the model's image size. */
    public static ImagePreprocessor defaults(int height, int width) {
        return new ImagePreprocessor(true, height, width, 2, true, 1 / 255.0, true, HALF, HALF);
    }

    /** From a model folder's {@code preprocessor_config.json}; without one, the defaults with a warning. */
    public static ImagePreprocessor forModel(Path folder, int height, int width, Consumer<String> warn) {
        Path f = folder == null ? null : folder.resolve("preprocessor_config.json");
        if (f == null || !Files.isRegularFile(f)) {
            warn.accept((folder == null ? "model" : folder.toString())
                    + ": no preprocessor_config.json; using ViTImageProcessor's defaults"
                    + " (resize to " + height + "x" + width + " bilinear, rescale 1/255, mean 0.5, std 0.5)");
            return defaults(height, width);
        }
        try {
            return fromJson(new ObjectMapper().readTree(f.toFile()), f, height, width);
        } catch (IOException e) {
            throw AnewbException.file(f, "not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    static ImagePreprocessor fromJson(JsonNode j, Path f, int height, int width) {
        int h = height, w = width;
        JsonNode size = j.get("size");
        if (size != null && size.isInt()) {
            h = w = size.asInt();
        } else if (size != null && size.has("height") && size.has("width")) {
            h = size.get("height").asInt();
            w = size.get("width").asInt();
        } else if (size != null && !size.isNull()) {
            throw AnewbException.file(f, "\"size\" " + size + " is not supported (give {\"height\": H, \"width\": W})");
        }
        // the resize allocates H·W pixels: refuse what no ViT takes before it does
        if (h < 1 || w < 1 || h > 16384 || w > 16384) {
            throw AnewbException.file(f, "\"size\" " + h + "x" + w + " must be between 1 and 16384 on each side");
        }
        int resample = j.path("resample").asInt(2);
        if (resample < 0 || resample > 5) throw AnewbException.file(f, "resample " + resample
                + " is not a PIL filter (0-5)");
        return new ImagePreprocessor(j.path("do_resize").asBoolean(true), h, w, resample,
                j.path("do_rescale").asBoolean(true),
                j.path("rescale_factor").asDouble(1 / 255.0), j.path("do_normalize").asBoolean(true),
                triple(j.get("image_mean"), f, "image_mean"), triple(j.get("image_std"), f, "image_std"));
    }

    private static double[] triple(JsonNode n, Path f, String key) {
        if (n == null || n.isNull()) return HALF;
        if (n.isNumber()) return new double[]{n.asDouble(), n.asDouble(), n.asDouble()};
        if (!n.isArray() || n.size() != 3) throw AnewbException.file(f, "\"" + key
                + "\" must be a number or three numbers");
        return new double[]{n.get(0).asDouble(), n.get(1).asDouble(), n.get(2).asDouble()};
    }

    /**
     * The most pixels an image may declare: 8192 × 8192 (64 MP). Decoding costs about 15 bytes a pixel here (ImageIO's
     * raster and the RGB copy), so this bounds a decode near 1 GB; ViT inputs are a few hundred pixels square.
     */
    public static final long MAX_PIXELS = 8192L * 8192L;

    /**
     * Decodes a PNG or JPEG into 8-bit RGB (PIL's convert("RGB"): gray replicated, alpha dropped). The header's
     * dimensions are checked against {@link #MAX_PIXELS} before any pixel is decoded: a 1 MB PNG may declare
     * 20000 × 20000 pixels.
     */
    public static Rgb decode(Path file) {
        BufferedImage img;
        if (!Files.isRegularFile(file)) throw AnewbException.file(file, "no such file");
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw AnewbException.file(file, "not an image ImageIO can decode (give a PNG or JPEG file)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w < 1 || h < 1 || w * h > MAX_PIXELS) {
                    String mp = String.format(Locale.ROOT, "%.1f", w * h / 1e6);
                    throw AnewbException.file(file, "declares " + w + "x" + h + " pixels (" + mp + " MP), more than"
                            + " the " + MAX_PIXELS / 1_000_000 + " MP (8192x8192) this tool decodes;"
                            + " scale it down first");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof AnewbException a) throw a;
            throw AnewbException.file(file, "cannot decode the image (" + AnewbException.reason(e) + ")", e);
        }
        if (img == null) throw AnewbException.file(file, "not an image ImageIO can decode (give a PNG or JPEG file)");
        int h = img.getHeight(), w = img.getWidth();
        int[] out = new int[h * w * 3];
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        boolean raw8 = !(img.getColorModel() instanceof IndexColorModel) && r.getSampleModel().getSampleSize(0) == 8
                && bands <= 4;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                if (raw8) {
                    // Raw samples, no colour management: what PIL reads from the file.
                    for (int c = 0; c < 3; c++) out[o + c] = r.getSample(x, y, bands < 3 ? 0 : c);
                } else {
                    int rgb = img.getRGB(x, y);
                    out[o] = rgb >> 16 & 0xFF;
                    out[o + 1] = rgb >> 8 & 0xFF;
                    out[o + 2] = rgb & 0xFF;
                }
            }
        }
        return new Rgb(h, w, out);
    }

    public FeatureTensor pixelValues(Path file) {
        return pixelValues(decode(file));
    }

    /** Resize, rescale, normalize: [1, 3, H, W]. */
    public FeatureTensor pixelValues(Rgb image) {
        Rgb img = doResize ? resize(image, height, width, resample) : image;
        int h = img.height(), w = img.width();
        float[] out = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            // transformers: rescale in float64 then cast to float32; normalize in float32.
            float m = (float) mean[c], s = (float) std[c];
            for (int i = 0; i < h * w; i++) {
                float v = doRescale ? (float) (img.hwc()[i * 3 + c] * rescaleFactor) : img.hwc()[i * 3 + c];
                out[c * h * w + i] = doNormalize ? (v - m) / s : v;
            }
        }
        return new FeatureTensor(new long[]{1, 3, h, w}, out);
    }

    // ---- Pillow's resampling (libImaging/Resample.c) ----

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** PIL filters by their Image.Resampling number: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING. */
    static double support(int filter) {
        return switch (filter) {
            case 1 -> 3.0;
            case 2 -> 1.0;
            case 3 -> 2.0;
            case 4 -> 0.5;
            case 5 -> 1.0;
            default -> throw new IllegalArgumentException("filter " + filter);
        };
    }

    static double filter(int filter, double x) {
        switch (filter) {
            case 1 -> { return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0; }
            case 2 -> { x = Math.abs(x); return x < 1 ? 1 - x : 0; }
            case 3 -> {
                double a = -0.5;
                x = Math.abs(x);
                if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
                if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
                return 0;
            }
            case 4 -> { return x > -0.5 && x <= 0.5 ? 1 : 0; }
            case 5 -> {
                x = Math.abs(x);
                if (x == 0) return 1;
                if (x >= 1) return 0;
                x *= Math.PI;
                return Math.sin(x) / x * (0.54 + 0.46 * Math.cos(x));
            }
            default -> throw new IllegalArgumentException("filter " + filter);
        }
    }

    private static double sinc(double x) {
        if (x == 0) return 1;
        x *= Math.PI;
        return Math.sin(x) / x;
    }

    /** Pillow's resize of an 8-bit RGB image; NEAREST (0) picks the pixel whose area holds the output center. */
    public static Rgb resize(Rgb in, int outH, int outW, int filter) {
        if (in.height() == outH && in.width() == outW) return in;
        if (filter == 0) {
            int[] out = new int[outH * outW * 3];
            for (int y = 0; y < outH; y++) {
                int sy = Math.min(in.height() - 1, (int) ((y + 0.5) * in.height() / outH));
                for (int x = 0; x < outW; x++) {
                    int sx = Math.min(in.width() - 1, (int) ((x + 0.5) * in.width() / outW));
                    System.arraycopy(in.hwc(), (sy * in.width() + sx) * 3, out, (y * outW + x) * 3, 3);
                }
            }
            return new Rgb(outH, outW, out);
        }
        Coeffs vert = coeffs(in.height(), outH, filter);
        Rgb cur = in;
        if (in.width() != outW) {
            // Only the rows the vertical pass reads are resampled horizontally (as Pillow does).
            int first = in.height() != outH ? vert.bounds[0] : 0;
            int last = in.height() != outH ? vert.bounds[(outH - 1) * 2] + vert.bounds[(outH - 1) * 2 + 1]
                    : in.height();
            Coeffs horiz = coeffs(in.width(), outW, filter);
            int rows = last - first;
            int[] tmp = new int[rows * outW * 3];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < outW; x++) {
                    int xmin = horiz.bounds[2 * x], xmax = horiz.bounds[2 * x + 1];
                    for (int c = 0; c < 3; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        for (int k = 0; k < xmax; k++) ss += in.hwc()[((y + first) * in.width() + xmin + k) * 3 + c]
                                * horiz.k[x * horiz.ksize + k];
                        tmp[(y * outW + x) * 3 + c] = clip8(ss);
                    }
                }
            }
            cur = new Rgb(rows, outW, tmp);
            if (in.height() != outH) for (int y = 0; y < outH; y++) vert.bounds[2 * y] -= first;
        }
        if (in.height() == outH) return cur;
        int[] out = new int[outH * outW * 3];
        for (int y = 0; y < outH; y++) {
            int ymin = vert.bounds[2 * y], ymax = vert.bounds[2 * y + 1];
            for (int x = 0; x < outW; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int k = 0; k < ymax; k++) ss += cur.hwc()[((ymin + k) * outW + x) * 3 + c]
                            * vert.k[y * vert.ksize + k];
                    out[(y * outW + x) * 3 + c] = clip8(ss);
                }
            }
        }
        return new Rgb(outH, outW, out);
    }

    private static int clip8(int v) {
        if (v >= 255 << PRECISION_BITS) return 255;
        if (v <= 0) return 0;
        return v >> PRECISION_BITS;
    }

    /** Per output pixel: first input index, count, and fixed-point weights (precompute_coeffs + normalize_coeffs_8bpc).
     *
     */
    private record Coeffs(int ksize, int[] bounds, int[] k) { }

    private static Coeffs coeffs(int inSize, int outSize, int filter) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = support(filter) * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] w = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                w[x] = filter(filter, (x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0 ? w[x] / ww : w[x];
                kk[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk);
    }
}
