package dev.autodiff.nn.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Per-epoch metrics of a training run, one row per epoch: "epoch" (1, 2, ...), then for instance "train_loss",
 * "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds". Written as CSV ({@link #writeCsv}) and drawn as
 * charts ({@link #plot}): one per metric with its training and validation curves.
 */
public final class History {
    private final List<Map<String, Double>> rows = new ArrayList<>();

    /** Appends an epoch's row (copied). */
    public void add(Map<String, Double> row) {
        Objects.requireNonNull(row, "History.add: row is null");
        rows.add(Collections.unmodifiableMap(new LinkedHashMap<>(row)));
    }

    /** The rows, oldest first. */
    public List<Map<String, Double>> rows() {
        return Collections.unmodifiableList(rows);
    }

    public int size() {
        return rows.size();
    }

    /** The last row; an error before any epoch. */
    public Map<String, Double> last() {
        if (rows.isEmpty()) {
            throw new IllegalStateException("History.last: no epoch recorded yet");
        }
        return rows.get(rows.size() - 1);
    }

    /** A metric per epoch (NaN where an epoch lacks it). */
    public double[] get(String metric) {
        Objects.requireNonNull(metric, "History.get: metric is null");
        if (!columns().contains(metric)) {
            throw new IllegalArgumentException("History.get: no metric '" + metric + "'; recorded: " + columns());
        }
        return rows.stream().mapToDouble(r -> r.getOrDefault(metric, Double.NaN)).toArray();
    }

    /** Every metric name, in order of first appearance. */
    public List<String> columns() {
        Set<String> names = new LinkedHashSet<>();
        rows.forEach(r -> names.addAll(r.keySet()));
        return List.copyOf(names);
    }

    /** The rows as CSV: a header, then one line per epoch; numbers in Java's shortest round-trip form. */
    public String toCsv() {
        List<String> cols = columns();
        StringBuilder sb = new StringBuilder(String.join(",", cols)).append('\n');
        for (Map<String, Double> r : rows) {
            for (int j = 0; j < cols.size(); j++) {
                Double v = r.get(cols.get(j));
                sb.append(j == 0 ? "" : ",").append(v == null ? "" : format(cols.get(j), v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String format(String column, double v) {
        return column.equals("epoch") && v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Reads what {@link #toCsv()} wrote (exactly: every double round-trips). */
    public static History fromCsv(String csv) {
        Objects.requireNonNull(csv, "History.fromCsv: csv is null");
        String[] lines = csv.split("\n", -1);
        if (lines.length < 1 || lines[0].isEmpty()) {
            return new History();
        }
        String[] cols = lines[0].split(",", -1);
        History h = new History();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            String[] cells = lines[i].split(",", -1);
            if (cells.length != cols.length) {
                throw new IllegalArgumentException("History.fromCsv: line " + (i + 1) + " has " + cells.length + " cells for "
                        + cols.length + " columns");
            }
            Map<String, Double> row = new LinkedHashMap<>();
            for (int j = 0; j < cols.length; j++) {
                if (!cells[j].isEmpty()) {
                    try {
                        row.put(cols[j], Double.parseDouble(cells[j]));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("History.fromCsv: line " + (i + 1) + ", column '" + cols[j]
                                + "': '" + cells[j] + "' is not a number", e);
                    }
                }
            }
            h.add(row);
        }
        return h;
    }

    /** Writes {@link #toCsv()} to {@code path}, replacing it atomically (a failed write leaves the old file). */
    public void writeCsv(Path path) throws IOException {
        Objects.requireNonNull(path, "History.writeCsv: path is null");
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".partial");
        try {
            Files.writeString(tmp, toCsv(), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Draws one chart per metric (loss, accuracy, ...: the names without their "train_"/"val_" prefix, and "lr"),
     * with a training and a validation curve where both exist, to {@code dir/<prefix><metric>.png} and
     * {@code .svg}; returns the files written. "epoch" and "seconds" are not drawn.
     */
    public List<Path> plot(Path dir, String prefix) throws IOException {
        Objects.requireNonNull(dir, "History.plot: dir is null");
        Objects.requireNonNull(prefix, "History.plot: prefix is null");
        Files.createDirectories(dir);
        Map<String, List<String>> charts = new LinkedHashMap<>();
        for (String c : columns()) {
            if (c.equals("epoch") || c.equals("seconds")) {
                continue;
            }
            String base = c.startsWith("train_") ? c.substring(6) : c.startsWith("val_") ? c.substring(4) : c;
            charts.computeIfAbsent(base, k -> new ArrayList<>()).add(c);
        }
        double[] epochs = columns().contains("epoch") ? get("epoch") : indexes();
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : charts.entrySet()) {
            XYChart chart = new XYChartBuilder().width(640).height(420).title(e.getKey()).xAxisTitle("epoch")
                    .yAxisTitle(e.getKey()).build();
            chart.getStyler().setMarkerSize(6);
            for (String series : e.getValue()) {
                double[] y = get(series);
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (int i = 0; i < y.length; i++) {
                    if (Double.isFinite(y[i])) {
                        xs.add(epochs[i]);
                        ys.add(y[i]);
                    }
                }
                if (!xs.isEmpty()) {
                    chart.addSeries(series.startsWith("val_") ? "validation" : series.startsWith("train_") ? "training" : series,
                            xs, ys).setMarker(SeriesMarkers.CIRCLE);
                }
            }
            if (chart.getSeriesMap().isEmpty()) {
                continue;
            }
            Path base = dir.resolve(prefix + e.getKey());
            BitmapEncoder.saveBitmap(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            written.add(dir.resolve(prefix + e.getKey() + ".png"));
            written.add(dir.resolve(prefix + e.getKey() + ".svg"));
        }
        return written;
    }

    private double[] indexes() {
        double[] x = new double[rows.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    @Override
    public String toString() {
        return toCsv();
    }
}
