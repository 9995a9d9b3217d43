package dev.autodiff.nn.data;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Tabular data from a CSV file (RFC 4180, parsed by Apache Commons CSV): a header row of column names, then one
 * record per example. {@link Table#numeric} turns columns into a tensor and {@link Table#labels} a column of
 * class names into int labels; every bad cell is reported with the file, its line and its column.
 *
 * <pre>{@code
 * Csv.Table t = Csv.read(Path.of("iris.csv"));
 * Csv.Labels y = t.labels("species");
 * TensorDataset data = TensorDataset.of(t.numeric("sepal_length", "sepal_width", "petal_length", "petal_width"), y.values());
 * }</pre>
 */
public final class Csv {
    private Csv() {}

    /** Reads a comma-separated file whose first row names the columns. */
    public static Table read(Path path) throws IOException {
        return read(path, ',');
    }

    /**
     * Reads a file whose first row names the columns, with the given delimiter (',' or ';' or '\t' ...). Every
     * record must have as many cells as the header; blank lines are skipped; leading and trailing blanks of a cell
     * are kept (a numeric column trims them).
     */
    public static Table read(Path path, char delimiter) throws IOException {
        Objects.requireNonNull(path, "Csv.read: path is null");
        if (!Files.isRegularFile(path)) {
            throw new IOException("Csv.read: " + path + " is not a file");
        }
        CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true).get();
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(in, format)) {
            List<String> header = null;
            List<String[]> rows = new ArrayList<>();
            List<Long> lines = new ArrayList<>();
            for (CSVRecord r : parser) {
                String[] cells = r.values();
                if (header == null) {
                    if (cells.length > 0 && cells[0].startsWith("\uFEFF")) { // a UTF-8 byte-order mark, as Excel writes
                        cells[0] = cells[0].substring(1);
                    }
                    header = List.of(cells);
                    checkHeader(path, header);
                    continue;
                }
                if (cells.length != header.size()) {
                    throw new IOException(path + ":" + parser.getCurrentLineNumber() + ": record " + (rows.size() + 1)
                            + " has " + cells.length + " cells, the header has " + header.size() + " columns " + header);
                }
                rows.add(cells);
                lines.add(parser.getCurrentLineNumber());
            }
            if (header == null) {
                throw new IOException(path + ": empty file; expected a header row of column names");
            }
            long[] lineOf = lines.stream().mapToLong(Long::longValue).toArray();
            return new Table(path, header, Collections.unmodifiableList(rows), lineOf);
        } catch (UncheckedIOException e) {
            throw new IOException(path + ": not valid CSV: " + e.getCause().getMessage(), e.getCause());
        } catch (IllegalStateException e) { // commons-csv reports malformed quoting this way
            throw new IOException(path + ": not valid CSV: " + e.getMessage(), e);
        }
    }

    private static void checkHeader(Path path, List<String> header) throws IOException {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).isBlank()) {
                throw new IOException(path + ":1: column " + (i + 1) + " has no name; the first row must name every column");
            }
            if (header.indexOf(header.get(i)) != i) {
                throw new IOException(path + ":1: column name '" + header.get(i) + "' appears twice");
            }
        }
    }

    /** Int labels and the class name of each label: label k is {@code classes.get(k)}. */
    public record Labels(int[] values, List<String> classes) {}

    /** A parsed file: the column names and the records as strings. */
    public static final class Table {
        private final Path source;
        private final List<String> header;
        private final List<String[]> rows;
        private final long[] lines;

        private Table(Path source, List<String> header, List<String[]> rows, long[] lines) {
            this.source = source;
            this.header = header;
            this.rows = rows;
            this.lines = lines;
        }

        public List<String> columns() {
            return header;
        }

        /** The number of records (examples). */
        public int size() {
            return rows.size();
        }

        /** Cell (record, column) as written. */
        public String cell(int record, String column) {
            if (record < 0 || record >= rows.size()) {
                throw new IllegalArgumentException("Csv.cell: record " + record + " out of range for " + rows.size() + " records");
            }
            return rows.get(record)[column("cell", column)];
        }

        /**
         * The given columns as an (N, k) tensor of numbers, in the order given. A cell that is not a number (after
         * trimming blanks), including an empty one, is an error naming the file, line and column: missing values are
         * the caller's to fill, not ours to guess.
         */
        public Tensor numeric(String... columns) {
            Objects.requireNonNull(columns, "Csv.numeric: columns is null");
            if (columns.length == 0) {
                throw new IllegalArgumentException("Csv.numeric: name at least one column of " + header);
            }
            int[] cols = new int[columns.length];
            for (int j = 0; j < cols.length; j++) {
                cols[j] = column("numeric", columns[j]);
            }
            double[] out = new double[Math.multiplyExact(rows.size(), cols.length)];
            for (int i = 0; i < rows.size(); i++) {
                for (int j = 0; j < cols.length; j++) {
                    out[i * cols.length + j] = number(i, cols[j]);
                }
            }
            return Tensor.fromArray(out, rows.size(), cols.length);
        }

        /** Every column except {@code except}, as {@link #numeric}: the features beside a target column. */
        public Tensor numericExcept(String... except) {
            List<String> keep = new ArrayList<>(header);
            Objects.requireNonNull(except, "Csv.numericExcept: except is null");
            for (String e : except) {
                column("numericExcept", e);
                keep.remove(e);
            }
            return numeric(keep.toArray(new String[0]));
        }

        /**
         * A column of class names as int labels. The classes are the distinct values, sorted as numbers when every
         * one is an integer (so a column of 0..9 keeps its labels) and as strings otherwise.
         */
        public Labels labels(String column) {
            int c = column("labels", column);
            boolean integers = true;
            for (String[] r : rows) {
                integers &= r[c].trim().matches("-?[0-9]{1,9}");
            }
            Comparator<String> order = integers ? Comparator.comparingInt(s -> Integer.parseInt(s.trim()))
                    : Comparator.naturalOrder();
            TreeMap<String, Integer> index = new TreeMap<>(order);
            for (String[] r : rows) {
                String key = integers ? r[c].trim() : r[c];
                String before = index.ceilingKey(key); // the key already there that equals this one, if any
                if (before != null && order.compare(before, key) == 0 && !before.equals(key)) {
                    throw new IllegalArgumentException("Csv.labels: column '" + column + "' of " + source + " spells one class as '"
                            + before + "' and '" + key + "'");
                }
                index.put(key, 0);
            }
            List<String> classes = new ArrayList<>(index.keySet());
            for (int k = 0; k < classes.size(); k++) {
                index.put(classes.get(k), k);
            }
            int[] values = new int[rows.size()];
            for (int i = 0; i < values.length; i++) {
                String v = rows.get(i)[c];
                values[i] = index.get(integers ? v.trim() : v);
            }
            return new Labels(values, List.copyOf(classes));
        }

        private int column(String op, String name) {
            Objects.requireNonNull(name, () -> "Csv." + op + ": a column name is null");
            int c = header.indexOf(name);
            if (c < 0) {
                throw new IllegalArgumentException("Csv." + op + ": " + source + " has no column '" + name + "'; its columns are "
                        + header);
            }
            return c;
        }

        private double number(int record, int column) {
            String s = rows.get(record)[column].trim();
            try {
                // Double.parseDouble also takes "NaN", "Infinity" and hex floats, as a CSV written by Java or numpy has
                if (!s.isEmpty() && !s.endsWith("d") && !s.endsWith("D") && !s.endsWith("f") && !s.endsWith("F")) {
                    return Double.parseDouble(s);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("Csv.numeric: " + source + ":" + lines[record] + ": column '" + header.get(column)
                    + "' holds '" + rows.get(record)[column] + "', not a number" + (s.isEmpty() ? " (an empty cell)" : ""));
        }
    }
}
