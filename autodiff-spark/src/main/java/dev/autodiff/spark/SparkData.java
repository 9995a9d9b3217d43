package dev.autodiff.spark;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * DataFrames in and out: training examples from a feature column and a label column, and batch inference that appends
 * a model's outputs as a column. A feature column is {@code array<double>} (or an array of another numeric type); a
 * label column any integral type.
 */
public final class SparkData {
    private SparkData() {}

    /** The rows as labelled examples (features from {@code featuresCol}, the class from {@code labelCol}). */
    public static JavaRDD<LabeledExample> labeled(Dataset<Row> df, String featuresCol, String labelCol) {
        Objects.requireNonNull(df, "SparkData.labeled: df is null");
        int f = numericArrayColumn("SparkData.labeled", df.schema(), featuresCol);
        int y = integralColumn("SparkData.labeled", df.schema(), labelCol, "label");
        return df.javaRDD().map(r -> example(r, f, y, featuresCol, labelCol));
    }

    private static LabeledExample example(Row r, int f, int y, String featuresCol, String labelCol) {
        if (r.isNullAt(f) || r.isNullAt(y)) {
            throw new IllegalArgumentException("SparkData.labeled: a null in column '" + (r.isNullAt(f) ? featuresCol : labelCol)
                    + "' of row " + r);
        }
        long label = ((Number) r.get(y)).longValue();
        if (label < 0 || label > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("SparkData.labeled: label " + label + " is not a class index (0 <= label < 2^31)");
        }
        return new LabeledExample(doubles(r, f, featuresCol), (int) label);
    }

    private static int integralColumn(String op, StructType schema, String name, String what) {
        int i = column(op, schema, name);
        DataType t = schema.fields()[i].dataType();
        if (!(t == DataTypes.IntegerType || t == DataTypes.LongType || t == DataTypes.ShortType || t == DataTypes.ByteType)) {
            throw new IllegalArgumentException(op + ": " + what + " column '" + name + "' must be integral, got " + t.simpleString());
        }
        return i;
    }

    /**
     * The rows as labelled examples keyed by {@code indexCol} (integral, 0..n-1, each once), for
     * {@link SparkTrainer#fit(org.apache.spark.api.java.JavaPairRDD, int)}: the batches then do not depend on how the
     * frame is partitioned or ordered.
     */
    public static org.apache.spark.api.java.JavaPairRDD<Long, LabeledExample> labeled(Dataset<Row> df, String featuresCol,
            String labelCol, String indexCol) {
        Objects.requireNonNull(df, "SparkData.labeled: df is null");
        int i = integralColumn("SparkData.labeled", df.schema(), indexCol, "index");
        int f = numericArrayColumn("SparkData.labeled", df.schema(), featuresCol);
        int y = integralColumn("SparkData.labeled", df.schema(), labelCol, "label");
        return df.javaRDD().mapToPair(r -> {
            if (r.isNullAt(i)) {
                throw new IllegalArgumentException("SparkData.labeled: a null in index column '" + indexCol + "'");
            }
            return new scala.Tuple2<>(((Number) r.get(i)).longValue(), example(r, f, y, featuresCol, labelCol));
        });
    }

    /**
     * Appends {@code outputCol} ({@code array<double>}: the model's output row for each input row) to {@code df}: the
     * parameters of {@code model} are broadcast once, each partition builds one replica with {@code factory} (in
     * evaluation mode, without a graph) and runs it on batches of up to {@code batchSize} rows of {@code inputCol}.
     * The model must map (N, features) to (N, k...); each output row is flattened.
     */
    public static Dataset<Row> predict(Dataset<Row> df, String inputCol, String outputCol, ModelFactory factory, Module model,
            int batchSize) {
        Objects.requireNonNull(df, "SparkData.predict: df is null");
        Objects.requireNonNull(factory, "SparkData.predict: factory is null");
        Objects.requireNonNull(model, "SparkData.predict: model is null");
        Objects.requireNonNull(outputCol, "SparkData.predict: outputCol is null");
        if (batchSize < 1) {
            throw new IllegalArgumentException("SparkData.predict: batchSize must be >= 1, got " + batchSize);
        }
        int in = numericArrayColumn("SparkData.predict", df.schema(), inputCol);
        if (Arrays.asList(df.schema().fieldNames()).contains(outputCol)) {
            throw new IllegalArgumentException("SparkData.predict: the frame already has a column '" + outputCol + "'");
        }
        StructType out = df.schema().add(new StructField(outputCol, DataTypes.createArrayType(DataTypes.DoubleType, false), false,
                org.apache.spark.sql.types.Metadata.empty()));
        Broadcast<double[]> values = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext()).broadcast(Parameters.values(Parameters.of(model)));
        MapPartitionsFunction<Row, Row> run = rows -> new Batches(rows, in, inputCol, batchSize, factory, values);
        return df.mapPartitions(run, Encoders.row(out));
    }

    /** The rows of a partition with the model's outputs appended, computed a batch at a time. */
    private static final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final int in;
        private final String inputCol;
        private final int batchSize;
        private final ModelFactory factory;
        private final Broadcast<double[]> values;
        private Module replica;
        private final List<Row> pending = new ArrayList<>();
        private int next;

        Batches(Iterator<Row> rows, int in, String inputCol, int batchSize, ModelFactory factory, Broadcast<double[]> values) {
            this.rows = rows;
            this.in = in;
            this.inputCol = inputCol;
            this.batchSize = batchSize;
            this.factory = factory;
            this.values = values;
        }

        @Override
        public boolean hasNext() {
            if (next < pending.size()) {
                return true;
            }
            pending.clear();
            next = 0;
            List<Row> batch = new ArrayList<>();
            while (batch.size() < batchSize && rows.hasNext()) {
                batch.add(rows.next());
            }
            if (batch.isEmpty()) {
                return false;
            }
            if (replica == null) {
                replica = factory.create(0);
                Parameters.load(Parameters.of(replica), values.value());
                replica.eval();
            }
            int d = -1;
            double[][] xs = new double[batch.size()][];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = doubles(batch.get(i), in, inputCol);
                if (d >= 0 && xs[i].length != d) {
                    throw new IllegalArgumentException("SparkData.predict: rows of column '" + inputCol + "' have " + d + " and "
                            + xs[i].length + " values; every row needs the model's input size");
                }
                d = xs[i].length;
            }
            double[] flat = new double[xs.length * d];
            for (int i = 0; i < xs.length; i++) {
                System.arraycopy(xs[i], 0, flat, i * d, d);
            }
            Tensor y;
            try (GradScope g = Autodiff.noGrad()) {
                y = replica.forward(Tensor.fromArray(flat, xs.length, d));
            }
            if (y.rank() == 0 || y.dim(0) != xs.length) {
                throw new IllegalArgumentException("SparkData.predict: the model's output " + Arrays.toString(y.shape())
                        + " has no row per input row (" + xs.length + ")");
            }
            double[] v = y.toArray();
            int k = v.length / xs.length;
            for (int i = 0; i < xs.length; i++) {
                Row r = batch.get(i);
                Object[] cells = new Object[r.length() + 1];
                for (int c = 0; c < r.length(); c++) {
                    cells[c] = r.get(c);
                }
                cells[r.length()] = Arrays.copyOfRange(v, i * k, (i + 1) * k);
                pending.add(RowFactory.create(cells));
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return pending.get(next++);
        }
    }

    private static int column(String op, StructType schema, String name) {
        Objects.requireNonNull(name, op + ": a column name is null");
        List<String> names = Arrays.asList(schema.fieldNames());
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(op + ": no column '" + name + "'; the frame has " + names);
        }
        return i;
    }

    private static int numericArrayColumn(String op, StructType schema, String name) {
        int i = column(op, schema, name);
        DataType t = schema.fields()[i].dataType();
        if (!(t instanceof ArrayType a && a.elementType() instanceof NumericType)) {
            throw new IllegalArgumentException(op + ": column '" + name + "' must be an array of numbers, got " + t.simpleString());
        }
        return i;
    }

    private static double[] doubles(Row r, int col, String name) {
        if (r.isNullAt(col)) {
            throw new IllegalArgumentException("SparkData: a null in column '" + name + "'");
        }
        List<Object> list = r.getList(col);
        double[] v = new double[list.size()];
        for (int i = 0; i < v.length; i++) {
            Object o = list.get(i);
            if (o == null) {
                throw new IllegalArgumentException("SparkData: a null element in column '" + name + "'");
            }
            v[i] = ((Number) o).doubleValue();
        }
        return v;
    }
}
