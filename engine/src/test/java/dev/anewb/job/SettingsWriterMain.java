package dev.anewb.job;

import dev.anewb.io.AtomicFiles;

import java.nio.file.Path;

/** A child process for {@link InterruptedWorkTest}: rewrites a settings-like JSON file forever until killed. */
public final class SettingsWriterMain {
    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        for (long n = 0; ; n++) {
            StringBuilder sb = new StringBuilder("{\"generation\": ").append(n).append(", \"recent\": [");
            for (int i = 0; i < 100_000; i++) sb.append(i == 0 ? ""
                    : ", ").append('"').append("model-").append(n).append('-').append(i).append('"');
            AtomicFiles.writeString(target, sb.append("]}").toString());
            System.out.println("wrote " + n);
        }
    }
}
