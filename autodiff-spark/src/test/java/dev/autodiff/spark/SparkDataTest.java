package dev.autodiff.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DataFrames in (labelled examples) and out (batch inference), on local[2], against the model run on the driver. */
class SparkDataTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("SparkDataTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType)
            .add("features", DataTypes.createArrayType(DataTypes.DoubleType)).add("label", DataTypes.LongType);

    static Dataset<Row> frame(int n, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(i, List.of(Math.sin(i), Math.cos(3.0 * i), i / 10.0, -1.0 * i), (long) (i % 3)));
        }
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }

    static final ModelFactory MODEL = seed -> new dev.autodiff.nn.Mlp(new int[] {4, 6, 3}, "Tanh", Tensor::tanh, seed);

    @Test
    void predictAppendsTheModelsOutputsRowByRow() {
        Module trained = MODEL.create(99); // other weights than any replica's own: the broadcast must carry them
        Dataset<Row> df = frame(53, 3);
        for (int batch : new int[] {1, 7, 100}) {
            List<Row> out = SparkData.predict(df, "features", "logits", MODEL, trained, batch).collectAsList();
            assertEquals(53, out.size());
            for (Row r : out) {
                int id = r.getInt(0);
                List<Double> f = r.getList(1);
                double[] x = f.stream().mapToDouble(Double::doubleValue).toArray();
                trained.eval();
                double[] want = trained.forward(Tensor.fromArray(x, 1, 4)).toArray();
                List<Double> got = r.getList(3);
                assertEquals(3, got.size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(want[k], got.get(k), 1e-13, "row " + id + ", batches of " + batch);
                }
                assertEquals((long) (id % 3), r.getLong(2), "the other columns pass through");
            }
        }
        assertArrayEquals(new String[] {"id", "features", "label", "logits"},
                SparkData.predict(df, "features", "logits", MODEL, trained, 8).schema().fieldNames());
    }

    @Test
    void labeledReadsFeatureAndLabelColumns() {
        List<LabeledExample> ex = SparkData.labeled(frame(10, 2), "features", "label").collect();
        assertEquals(10, ex.size());
        for (LabeledExample e : ex) {
            int i = (int) Math.round(e.features()[2] * 10);
            assertArrayEquals(new double[] {Math.sin(i), Math.cos(3.0 * i), i / 10.0, -1.0 * i}, e.features());
            assertEquals(i % 3, e.label());
        }
    }

    @Test
    void badColumnsAreRefusedNamingTheCall() {
        Dataset<Row> df = frame(4, 1);
        Module m = MODEL.create(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkData.labeled(df, "x", "label"));
        assertEquals("SparkData.labeled: no column 'x'; the frame has [id, features, label]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkData.labeled(df, "id", "label"));
        assertEquals("SparkData.labeled: column 'id' must be an array of numbers, got int", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkData.labeled(df, "features", "features"));
        assertTrue(e.getMessage().startsWith("SparkData.labeled: label column 'features' must be integral"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparkData.predict(df, "features", "label", MODEL, m, 4));
        assertEquals("SparkData.predict: the frame already has a column 'label'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkData.predict(df, "features", "y", MODEL, m, 0));
        // a negative label fails in the task, named
        List<Row> rows = List.of(RowFactory.create(0, List.of(1.0, 2.0, 3.0, 4.0), -1L));
        Dataset<Row> bad = spark.createDataFrame(rows, SCHEMA);
        Exception ex = assertThrows(SparkException.class, () -> SparkData.labeled(bad, "features", "label").collect());
        assertTrue(String.valueOf(ex.getMessage()).contains("SparkData.labeled: label -1 is not a class index"), ex.getMessage());
    }
}
