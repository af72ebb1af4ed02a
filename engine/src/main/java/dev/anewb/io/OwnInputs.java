package dev.anewb.io;

import dev.anewb.AnewbException;
import dev.anewb.model.ModelRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The files and folders a command reads, so that it never writes over one of them: {@code run --dump} onto the
 * model's weights, {@code convert --out} onto its own model folder, {@code export --onnx} onto an input image.
 * Compared by real path (links followed), so a Hugging Face snapshot's links and their blobs count as inputs. This
 * check is not waived by {@code --force}: force replaces an earlier output, never an input.
 */
public final class OwnInputs {
    /** A model folder holds a handful of files; the walk stops here whatever a hostile tree holds. */
    private static final int MAX_FILES = 10_000;

    private final List<Path> folders = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    /** The inputs of a command that reads {@code model} and the given extra files (null entries are skipped). */
    public static OwnInputs of(LoadedModel model, Path... extraFiles) {
        OwnInputs in = new OwnInputs();
        if (model != null) in.addModel(model);
        for (Path p : extraFiles) if (p != null) in.addFile(p);
        return in;
    }

    /** A model's folder with every file in it (to depth 4), or for a config.json alone just that file. */
    public OwnInputs addModel(LoadedModel model) {
        if (model.ref() != null && model.ref().kind() == ModelRef.Kind.CONFIG_FILE) return addFile(model.ref().path());
        return model.folder() == null ? this : addFolder(model.folder());
    }

    /** A folder the command reads, with every file in it (to depth 4). */
    public OwnInputs addFolder(Path folder) {
        folders.add(real(folder));
        try (Stream<Path> s = Files.walk(folder, 4)) {
            s.limit(MAX_FILES).filter(p -> !p.equals(folder)).forEach(p -> files.add(real(p)));
        } catch (IOException | UncheckedIOException e) {
            // an unreadable corner of the folder: the folder itself is still guarded
        }
        return this;
    }

    /** One more input file (an image, audio, a texts file). */
    public OwnInputs addFile(Path file) {
        files.add(real(file));
        return this;
    }

    /**
     * Refuses to write {@code output} when it is an input, is (or holds) an input folder, or is a file that already
     * exists inside an input folder.
     *
     * @param option the option that named the output ("--dump"), named in the message
     */
    public void refuseOutput(String option, Path output) {
        Path abs = output.toAbsolutePath().normalize();
        // where the name itself sits (a rename replaces a link there, not its target) and, below, what it points to
        Path at = abs.getParent() == null ? abs : real(abs.getParent()).resolve(abs.getFileName().toString());
        boolean exists = Files.exists(output, LinkOption.NOFOLLOW_LINKS);
        Path followed = exists ? real(output) : at;
        String what = option + " " + output + ": ";
        String refusal = "; refusing to write over it, even with --force";
        for (Path target : List.of(at, followed)) {
            // the most telling reason first: the model folder itself, then a file, then what holds them
            for (Path d : folders) {
                if (target.equals(d)) {
                    throw AnewbException.usage(what + "is the model folder " + d + ", an input of this command"
                            + refusal);
                }
            }
            for (Path f : files) {
                if (target.equals(f)) {
                    String which = f.equals(abs) ? "is an input of this command"
                            : "is " + f + ", an input of this command";
                    throw AnewbException.usage(what + which + refusal);
                }
            }
            String replace = ", an input of this command; refusing to replace it, even with --force";
            for (Path d : folders) {
                if (d.startsWith(target)) throw AnewbException.usage(what + "holds the model folder " + d + replace);
            }
            for (Path f : files) {
                if (f.startsWith(target)) throw AnewbException.usage(what + "holds " + f + replace);
            }
            for (Path d : folders) {
                if (exists && target.startsWith(d)) {
                    throw AnewbException.usage(what + "is a file of the model folder " + d
                            + ", an input of this command" + refusal);
                }
            }
        }
    }

    /**
     * The real path of {@code p}: links followed where it exists; else its nearest existing ancestor's real path
     * with the rest of the name appended.
     */
    static Path real(Path p) {
        Path abs = Objects.requireNonNull(p).toAbsolutePath().normalize();
        List<String> rest = new ArrayList<>();
        for (Path at = abs; at != null; at = at.getParent()) {
            try {
                Path r = at.toRealPath();
                for (int i = rest.size() - 1; i >= 0; i--) r = r.resolve(rest.get(i));
                return r;
            } catch (IOException e) {
                if (at.getFileName() != null) rest.add(at.getFileName().toString());
            }
        }
        return abs;
    }
}
