package dev.autodiff.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's main job: the default tour runs and prints the hand-derived results. */
class MainTest {
    @Test
    void defaultTourPrintsTheTextbookGradientsAndTheListing() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            Main.main(new String[0]);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("df/dw = 0.25 "), out);
        assertTrue(out.contains("df/db = 0.25 "), out);
        assertTrue(out.contains("h6   = 1 / h5"), out);
        assertTrue(out.contains("==== higher-order") && out.contains("==== regression"), out);
    }

    @Test
    void oneArgumentFromMavenIsSplitIntoSamplesAndSettings() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            Main.main(new String[] {" backprop-by-hand  maintest.setting=a=b "});
        } finally {
            System.setOut(saved);
        }
        try {
            assertTrue(buf.toString(StandardCharsets.UTF_8).contains("==== backprop-by-hand"));
            assertTrue("a=b".equals(System.getProperty("maintest.setting")), System.getProperty("maintest.setting"));
        } finally {
            System.clearProperty("maintest.setting");
        }
    }
}
