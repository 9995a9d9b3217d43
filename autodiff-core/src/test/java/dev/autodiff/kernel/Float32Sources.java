package dev.autodiff.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The float32 kernels are generated from the float64 ones, which stay the one source of truth (as EJML's
 * GenerateJavaCode32 and the JDK's FloatVector/DoubleVector template do). Text rules, applied outside string
 * literals:
 * <ul>
 *   <li>types: {@code double} to {@code float}, {@code Double} to {@code Float}, {@code DoubleVector} to
 *       {@code FloatVector};
 *   <li>the generated classes' names: {@code Gemm} to {@code Gemm32}, and so on ({@link #CLASSES});
 *   <li>in code only (not in comments): floating-point literals get an {@code f} ({@code 0.0} to {@code 0.0f}), so
 *       that float arithmetic stays float;
 *   <li>a line whose comment is {@code // f32: text} becomes {@code text} (same indentation): where float32 needs
 *       another constant or form. {@code // f32:} with no text drops the line.
 * </ul>
 * {@code Float32SourcesTest} fails when a committed file differs from what this produces. To regenerate:
 * {@code mvn -q -pl autodiff-core test -Dtest=Float32SourcesTest -Dautodiff.regenerate=true}.
 */
final class Float32Sources {
    private Float32Sources() {}

    static final Path DIR = Path.of("src/main/java/dev/autodiff/kernel");

    /** float64 source class to generated float32 class. */
    static final Map<String, String> CLASSES = Map.of(
            "Gemm", "Gemm32",
            "VectorGemm", "VectorGemm32",
            "ScalarBlocked", "ScalarBlocked32");

    /** References to float64 entry points that have a float32 twin outside the generated classes. */
    private static final Map<String, String> MEMBERS = Map.of(
            "VectorSupport.GEMM", "VectorSupport.GEMM32");

    private static final Pattern TYPES = Pattern.compile("\\b(DoubleVector|Double|double)\\b");
    private static final Pattern NAMES = Pattern.compile("\\b(" + String.join("|", CLASSES.keySet()) + ")\\b");
    private static final Pattern MEMBER = Pattern.compile("\\b(" + String.join("|", MEMBERS.keySet()).replace(".", "\\.") + ")\\b");
    private static final Pattern LITERAL = Pattern.compile("(?<![\\w.])(\\d+\\.\\d*(?:[eE][+-]?\\d+)?|\\d+[eE][+-]?\\d+)(?![\\w.])");
    private static final Pattern PRAGMA = Pattern.compile("^(\\s*).*?//\\s*f32:\\s?(.*)$");

    static List<String> sources() {
        return List.copyOf(CLASSES.keySet());
    }

    static String header(String source) {
        return "// GENERATED from " + source + ".java by Float32Sources (autodiff-core's tests): float32 in place of float64.\n"
                + "// Do not edit: edit " + source + ".java and regenerate (see Float32Sources). Comments are the source's.\n";
    }

    /** The float32 text of a float64 source file. */
    static String generate(String source, String text) {
        StringBuilder out = new StringBuilder(header(source));
        boolean inBlock = false;
        for (String line : text.split("\n", -1)) {
            Matcher pragma = PRAGMA.matcher(line);
            if (!inBlock && pragma.matches()) {
                if (pragma.group(2).isEmpty()) {
                    continue;
                }
                line = pragma.group(1) + pragma.group(2);
            }
            StringBuilder l = new StringBuilder();
            int i = 0;
            while (i < line.length()) {
                if (inBlock) {
                    int end = line.indexOf("*/", i);
                    int stop = end < 0 ? line.length() : end + 2;
                    l.append(names(line.substring(i, stop)));
                    inBlock = end < 0;
                    i = stop;
                } else if (line.startsWith("//", i)) {
                    l.append(names(line.substring(i)));
                    i = line.length();
                } else if (line.startsWith("/*", i)) {
                    inBlock = true;
                    l.append("/*");
                    i += 2;
                } else if (line.charAt(i) == '"' || line.charAt(i) == '\'') {
                    int end = literalEnd(line, i);
                    l.append(line, i, end);
                    i = end;
                } else {
                    int end = i;
                    while (end < line.length() && line.charAt(end) != '"' && line.charAt(end) != '\''
                            && !line.startsWith("//", end) && !line.startsWith("/*", end)) {
                        end++;
                    }
                    l.append(LITERAL.matcher(names(line.substring(i, end))).replaceAll("$1f"));
                    i = end;
                }
            }
            out.append(l).append('\n');
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static int literalEnd(String line, int start) {
        char q = line.charAt(start);
        int i = start + 1;
        while (i < line.length() && line.charAt(i) != q) {
            i += line.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(line.length(), i + 1);
    }

    private static String names(String s) {
        s = TYPES.matcher(s).replaceAll(m -> m.group(1).equals("DoubleVector") ? "FloatVector"
                : m.group(1).equals("Double") ? "Float" : "float");
        s = MEMBER.matcher(s).replaceAll(m -> MEMBERS.get(m.group(1)));
        return NAMES.matcher(s).replaceAll(m -> CLASSES.get(m.group(1)));
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    static void writeAll() throws IOException {
        for (String s : sources()) {
            String gen = generate(s, read(DIR.resolve(s + ".java")));
            Files.writeString(DIR.resolve(CLASSES.get(s) + ".java"), gen, StandardCharsets.UTF_8);
        }
    }
}
