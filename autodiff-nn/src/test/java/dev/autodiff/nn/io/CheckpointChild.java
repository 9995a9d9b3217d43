package dev.autodiff.nn.io;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A program the checkpoint tests run in a child JVM (same class path), so that they can kill it or give it
 * its own heap. Modes:
 * <ul>
 *   <li>{@code save-loop PATH N}: saves version 1, 2, ... of a checkpoint ("a": N values all equal to the
 *       version, "b": 7 values equal to minus it, metadata "version") for ever, printing each version once
 *       its save has returned;
 *   <li>{@code load PATH INDEX...}: loads PATH and prints "shape [..]" and the values at the indices of its
 *       tensor "a", or "refused: MESSAGE" for an IOException.
 * </ul>
 */
final class CheckpointChild {
    private CheckpointChild() {}

    public static void main(String[] args) throws IOException {
        Path path = Path.of(args[1]);
        if (args[0].equals("save-loop")) {
            int n = Integer.parseInt(args[2]);
            for (int version = 1; ; version++) {
                Map<String, Tensor> t = new LinkedHashMap<>();
                t.put("a", Tensor.full(version, n));
                t.put("b", Tensor.full(-version, 7));
                SafeTensors.save(path, t, Map.of("version", Integer.toString(version)));
                System.out.println(version);
                System.out.flush();
            }
        }
        try {
            Tensor a = SafeTensors.load(path).tensors().get("a");
            StringBuilder out = new StringBuilder("shape " + Arrays.toString(a.shape()));
            for (int k = 2; k < args.length; k++) {
                out.append(' ').append(a.get(Integer.parseInt(args[k])));
            }
            System.out.println(out);
        } catch (IOException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }

    /** A process builder for this program in a new JVM with the given heap (a small young generation, so that large arrays fit). */
    static ProcessBuilder jvm(String heap, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Xmn32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), CheckpointChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
