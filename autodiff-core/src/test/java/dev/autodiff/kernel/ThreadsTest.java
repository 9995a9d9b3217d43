package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The thread count is read once at start-up, so each setting runs in a JVM of its own. */
class ThreadsTest {
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("threads=" + Threads.COUNT);
        }
    }

    private static String run(String... options) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @Test
    void theCountIsTheProcessorsUnlessSet() throws Exception {
        assertTrue(run("-Dautodiff.threads=1").contains("threads=1"));
        assertTrue(run("-Dautodiff.threads=3").contains("threads=3"));
        assertTrue(run("-XX:ActiveProcessorCount=3").contains("threads=3"));
        assertTrue(run().contains("threads=" + Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void aCountBelowOneIsRefusedByName() throws Exception {
        String out = run("-Dautodiff.threads=0");
        assertNotEquals(-1, out.indexOf("autodiff.threads must be at least 1, got 0"), out);
        assertEquals(-1, out.indexOf("threads=0"), out);
    }
}
