package dev.autodiff.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Batches checked against the examples they must hold, computed here from the indices alone. */
class DataLoaderTest {
    /** n examples: x row i = (i, 10 i + 1, ...), label i % 3; so every value says which example it came from. */
    private static TensorDataset data(int n) {
        double[] x = new double[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 10 * i + 1;
            y[i] = i % 3;
        }
        return TensorDataset.of(Tensor.fromArray(x, n, 2), y);
    }

    /** The example indices a batch holds, read back from its values, checking both fields agree. */
    private static int[] examples(Batch b) {
        double[] x = b.input().toArray();
        int[] y = b.labels();
        int[] ids = new int[b.size()];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = (int) x[2 * k];
            assertEquals(10 * ids[k] + 1, x[2 * k + 1]);
            assertEquals(ids[k] % 3, y[k]);
        }
        return ids;
    }

    private static List<int[]> epoch(DataLoader<Batch> loader, int e) {
        List<int[]> out = new ArrayList<>();
        for (Batch b : loader.epoch(e)) {
            out.add(examples(b));
        }
        return out;
    }

    @Test
    void withoutShuffleBatchesAreConsecutiveAndTheLastIsShort() {
        List<int[]> batches = epoch(DataLoader.of(data(10)).batchSize(4), 0);
        assertEquals(3, batches.size());
        assertArrayEquals(new int[] {0, 1, 2, 3}, batches.get(0));
        assertArrayEquals(new int[] {4, 5, 6, 7}, batches.get(1));
        assertArrayEquals(new int[] {8, 9}, batches.get(2));
        assertEquals(2, DataLoader.of(data(10)).batchSize(4).dropLast(true).batches());
        assertEquals(2, epoch(DataLoader.of(data(10)).batchSize(4).dropLast(true), 0).size());
        assertEquals(10, DataLoader.of(data(10)).batches(), "batch size 1 by default, as PyTorch");
        assertEquals(0, epoch(DataLoader.of(data(3)).batchSize(4).dropLast(true), 0).size());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void shuffleIsAPermutationPerEpochFixedBySeedAndEpoch(int prefetch) {
        DataLoader<Batch> loader = DataLoader.of(data(23)).batchSize(5).shuffle(7).prefetch(prefetch);
        Set<String> orders = new HashSet<>();
        for (int e = 0; e < 4; e++) {
            List<int[]> batches = epoch(loader, e);
            int[] all = batches.stream().flatMapToInt(Arrays::stream).toArray();
            assertArrayEquals(loader.order(e), all);
            int[] sorted = all.clone();
            Arrays.sort(sorted);
            int[] expected = new int[23];
            Arrays.setAll(expected, i -> i);
            assertArrayEquals(expected, sorted, "epoch " + e + " is a permutation");
            orders.add(Arrays.toString(all));
            // the same epoch again, and from a fresh loader with the same seed: the same batches
            assertArrayEquals(all, epoch(DataLoader.of(data(23)).batchSize(5).shuffle(7), e).stream()
                    .flatMapToInt(Arrays::stream).toArray());
        }
        assertEquals(4, orders.size(), "each epoch has its own order");
        assertNotEquals(Arrays.toString(loader.order(0)), Arrays.toString(DataLoader.of(data(23)).shuffle(8).order(0)));
    }

    @Test
    void iteratingTheLoaderRunsEpochsInTurn() {
        DataLoader<Batch> loader = DataLoader.of(data(9)).batchSize(9).shuffle(3);
        List<int[]> seen = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            for (Batch b : loader) {
                seen.add(examples(b));
            }
        }
        for (int e = 0; e < 3; e++) {
            assertArrayEquals(loader.order(e), seen.get(e));
        }
    }

    @Test
    void subsetsAndSplitsBatchLikeTheExamplesTheyHold() {
        TensorDataset d = data(20);
        Dataset<Tensor[]> sub = Dataset.subset(Dataset.subset(d, 19, 3, 5, 7, 11), 4, 0, 2);
        Batch b = DataLoader.of(sub).batchSize(3).epoch(0).iterator().next();
        assertArrayEquals(new int[] {11, 19, 5}, examples(b));

        List<Dataset<Tensor[]>> parts = Dataset.randomSplit(d, 5L, 12, 8);
        assertEquals(12, parts.get(0).size());
        Set<Integer> ids = new HashSet<>();
        for (Dataset<Tensor[]> p : parts) {
            for (Batch batch : DataLoader.of(p).batchSize(4)) {
                for (int i : examples(batch)) {
                    assertTrue(ids.add(i), "example " + i + " in two parts");
                }
            }
        }
        assertEquals(20, ids.size());
        // the same seed, the same split
        assertArrayEquals(((Dataset.Subset<Tensor[]>) parts.get(1)).indices(),
                ((Dataset.Subset<Tensor[]>) Dataset.randomSplit(d, 5L, 12, 8).get(1)).indices());
        // fractions: floor each, remainder round-robin from the first part (random_split's rule): 7 -> 3 + 2 + 2
        List<Dataset<Tensor[]>> f = Dataset.randomSplit(data(7), 1L, 0.4, 0.3, 0.3);
        assertEquals(List.of(3, 2, 2), f.stream().map(Dataset::size).toList());
    }

    @Test
    void anyDatasetOfTensorsIsStackedAndCustomCollationGetsTheExamplesInOrder() {
        Dataset<Tensor[]> plain = new Dataset<>() {
            @Override
            public int size() {
                return 5;
            }

            @Override
            public Tensor[] get(int i) {
                return new Tensor[] {Tensor.fromArray(new double[] {i, 10 * i + 1}), Tensor.scalar(i % 3)};
            }
        };
        List<int[]> batches = epoch(DataLoader.of(plain).batchSize(2).shuffle(1), 0);
        assertArrayEquals(DataLoader.of(plain).shuffle(1).order(0), batches.stream().flatMapToInt(Arrays::stream).toArray());

        DataLoader<String> strings = DataLoader.of(plain, items -> {
            StringBuilder sb = new StringBuilder();
            items.forEach(t -> sb.append((int) t[0].toArray()[0]));
            return sb.toString();
        }).batchSize(2);
        List<String> got = new ArrayList<>();
        strings.epoch(0).forEach(got::add);
        assertEquals(List.of("01", "23", "4"), got);
    }

    @Test
    void batchesCarryNoGraphIntoTheData() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 4}, 4, 1).requiresGrad();
        Batch b = DataLoader.of(new TensorDataset(x, x)).batchSize(2).epoch(0).iterator().next();
        assertTrue(!b.input().needsGrad(), "a dataset holds detached tensors");
    }

    @Test
    void badInputIsNamed() {
        assertThrows(IllegalArgumentException.class, () -> DataLoader.of(data(3)).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.of(data(3)).prefetch(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertTrue(e.getMessage().startsWith("TensorDataset:") && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.randomSplit(data(5), 1L, 2, 2));
        assertTrue(e.getMessage().contains("add up to 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.subset(data(5), 5));
        assertTrue(e.getMessage().contains("index 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Batch(Tensor.fromArray(new double[] {0.5}), Tensor.fromArray(new double[] {0.5})).labels());
        assertTrue(e.getMessage().startsWith("Batch.labels:") && e.getMessage().contains("0.5"), e.getMessage());
        // a failure in collation reaches the caller from next(), prefetching or not
        Dataset<Tensor[]> ragged = new Dataset<>() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Tensor[] get(int i) {
                return new Tensor[] {Tensor.zeros(i + 1)};
            }
        };
        for (int p : new int[] {0, 2}) {
            e = assertThrows(IllegalArgumentException.class, () -> DataLoader.of(ragged).batchSize(2).prefetch(p).iterator().next());
            assertTrue(e.getMessage().startsWith("DataLoader: cannot batch field 0"), e.getMessage());
        }
    }

    @Test
    void theShuffleIsUniformAndPinned() {
        // all 6 orders of 3 examples, over 6,000 (seed, epoch) pairs: chi-square with 5 degrees of freedom stays
        // below 20.5 (p = 0.001) for a uniform shuffle; a biased one (Sattolo's, only cyclic orders) is far above
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        for (int seed = 0; seed < 1000; seed++) {
            DataLoader<Batch> l = DataLoader.of(data(3)).shuffle(seed);
            for (int e = 0; e < 6; e++) {
                counts.merge(Arrays.toString(l.order(e)), 1, Integer::sum);
            }
        }
        assertEquals(6, counts.size(), counts.toString());
        double chi2 = 0;
        for (int c : counts.values()) {
            chi2 += (c - 1000.0) * (c - 1000.0) / 1000.0;
        }
        assertTrue(chi2 < 20.5, "chi-square " + chi2 + " " + counts);
        // consecutive epochs and the split with the same seed are not one stream a draw apart: the first draws differ
        // in distribution terms -- checked by the orders of a large set sharing no long common run
        int[] a = DataLoader.of(data(1000)).shuffle(42).order(0);
        int[] b = DataLoader.of(data(1000)).shuffle(42).order(1);
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        assertTrue(same < 10, same + " positions agree between epochs 0 and 1 (about 1 expected)");
        // pinned: orders must not change between versions, or resuming an old checkpoint would see other batches
        // (recorded from this implementation when it was written; a change here must be deliberate)
        assertEquals("[7, 1, 3, 2, 8, 6, 0, 5, 9, 4]", Arrays.toString(DataLoader.of(data(10)).shuffle(7).order(0)));
    }

    @Test
    void hugeBatchSizesGiveOneBatchAndPrefetchKeepsTheGradMode() {
        assertEquals(1, DataLoader.of(data(6)).batchSize(Integer.MAX_VALUE).batches());
        assertEquals(1, DataLoader.of(data(6)).batchSize(Integer.MAX_VALUE - 3).batches());
        assertEquals(0, DataLoader.of(data(6)).batchSize(Integer.MAX_VALUE).dropLast(true).batches());
        Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4}).requiresGrad();
        Dataset<Tensor[]> live = new Dataset<>() {
            @Override
            public int size() {
                return 4;
            }

            @Override
            public Tensor[] get(int i) {
                return new Tensor[] {w.slice(0, i, i + 1).squeeze(0)};
            }
        };
        for (int p : new int[] {0, 1}) {
            try (dev.autodiff.GradScope s = dev.autodiff.Autodiff.noGrad()) {
                Batch b = DataLoader.of(live).batchSize(2).prefetch(p).epoch(0).iterator().next();
                assertTrue(!b.input().needsGrad(), "prefetch " + p + ": collated in the caller's noGrad");
            }
            Batch b = DataLoader.of(live).batchSize(2).prefetch(p).epoch(0).iterator().next();
            assertTrue(b.input().needsGrad(), "prefetch " + p + ": collated with grad on, as the caller");
        }
    }
}
