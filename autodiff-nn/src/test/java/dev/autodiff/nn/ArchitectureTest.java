package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** autodiff-nn is built only from public core ops: it must not reach into kernels or the graph's internals. */
class ArchitectureTest {
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    /** The public API nn may use; everything else under dev.autodiff (kernel, check, internals) is off limits. */
    private static final List<String> ALLOWED = List.of("dev.autodiff.Tensor", "dev.autodiff.Autodiff", "dev.autodiff.GradScope",
            "dev.autodiff.Fn", "dev.autodiff.CustomOp", "dev.autodiff.InPlace", "dev.autodiff.DType", "dev.autodiff.Fused", "dev.autodiff.nn");

    @Test
    void nnImportsOnlyThePublicCoreApi() throws IOException {
        Path src = Path.of("src", "main", "java");
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(src)) {
            for (Path p : (Iterable<Path>) paths.filter(f -> f.toString().endsWith(".java"))::iterator) {
                files++;
                String text = Files.readString(p);
                Matcher m = IMPORT.matcher(text);
                while (m.find()) {
                    String imp = m.group(2);
                    boolean ok = !imp.startsWith("dev.autodiff.") || ALLOWED.stream().anyMatch(imp::startsWith);
                    if (!ok) {
                        violations.add(p + ": import " + imp);
                    }
                }
                if (text.contains("dev.autodiff.kernel")) {
                    violations.add(p + ": refers to dev.autodiff.kernel");
                }
            }
        }
        assertTrue(files > 10, "found the nn sources (" + files + " files)");
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }
}
