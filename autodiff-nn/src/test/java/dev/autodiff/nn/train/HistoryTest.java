package dev.autodiff.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {
    @TempDir
    Path dir;

    private static History sample() {
        History h = new History();
        for (int e = 1; e <= 3; e++) {
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("epoch", (double) e);
            row.put("train_loss", 1.0 / e + 0.1);
            row.put("val_loss", e == 2 ? Double.NaN : 1.0 / 3 * e);
            row.put("val_accuracy", 0.5 + e / 10.0);
            row.put("lr", 1e-3 / e);
            h.add(row);
        }
        return h;
    }

    @Test
    void csvRoundTripsEveryBitAndIsAtomic() throws IOException {
        History h = sample();
        String csv = h.toCsv();
        assertTrue(csv.startsWith("epoch,train_loss,val_loss,val_accuracy,lr\n1,1.1,0.3333333333333333,"), csv);
        History back = History.fromCsv(csv);
        for (String c : h.columns()) {
            assertArrayEquals(h.get(c), back.get(c), 0.0, c);
        }
        Path file = dir.resolve("h.csv");
        h.writeCsv(file);
        assertEquals(csv, Files.readString(file));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temporary file left");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> History.fromCsv("a,b\n1\n"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void plotDrawsOneChartPerMetric() throws IOException {
        List<Path> files = sample().plot(dir.resolve("charts"), "run-");
        assertEquals(List.of("run-loss.png", "run-loss.svg", "run-accuracy.png", "run-accuracy.svg", "run-lr.png", "run-lr.svg"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) {
            assertTrue(Files.size(f) > 500, f + " is a real file");
        }
        byte[] png = Files.readAllBytes(files.get(0));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        assertTrue(Files.readString(files.get(1)).contains("<svg"));
    }
}
