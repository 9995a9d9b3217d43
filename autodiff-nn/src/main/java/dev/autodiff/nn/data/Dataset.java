package dev.autodiff.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Indexed examples, as {@code torch.utils.data.Dataset}: {@link #size()} of them, example i from {@link #get}. A
 * {@link DataLoader} draws batches from it; {@link #subset} and {@link #randomSplit} make views of it (train and
 * validation splits) without copying.
 *
 * @param <E> the type of one example; {@code Tensor[]} (input, target, ...) for {@link TensorDataset}
 */
public interface Dataset<E> {
    /** The number of examples. */
    int size();

    /** Example {@code index}, 0 <= index < size(). */
    E get(int index);

    /** A view of the examples at {@code indices} of {@code dataset}, in that order (as torch.utils.data.Subset). */
    static <E> Dataset<E> subset(Dataset<E> dataset, int... indices) {
        Objects.requireNonNull(dataset, "Dataset.subset: dataset is null");
        Objects.requireNonNull(indices, "Dataset.subset: indices is null");
        int n = dataset.size();
        for (int i : indices) {
            if (i < 0 || i >= n) {
                throw new IllegalArgumentException("Dataset.subset: index " + i + " out of range for a dataset of " + n
                        + " examples");
            }
        }
        return new Subset<>(dataset, indices);
    }

    /**
     * Splits {@code dataset} at random into parts of the given sizes, which must add up to its size, as
     * torch.utils.data.random_split: one seeded permutation of all indices, cut in order. The same seed gives the
     * same split.
     */
    static <E> List<Dataset<E>> randomSplit(Dataset<E> dataset, long seed, int... sizes) {
        Objects.requireNonNull(dataset, "Dataset.randomSplit: dataset is null");
        Objects.requireNonNull(sizes, "Dataset.randomSplit: sizes is null");
        long total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("Dataset.randomSplit: negative size in " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (sizes.length == 0 || total != dataset.size()) {
            throw new IllegalArgumentException("Dataset.randomSplit: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + ", not the dataset's " + dataset.size() + " examples");
        }
        int[] order = permutation(dataset.size(), new SplittableRandom(mix(seed ^ SPLIT_SALT)));
        List<Dataset<E>> parts = new ArrayList<>();
        int from = 0;
        for (int s : sizes) {
            parts.add(new Subset<>(dataset, Arrays.copyOfRange(order, from, from + s)));
            from += s;
        }
        return parts;
    }

    /**
     * Splits by fractions that add up to 1 (within 1e-9): each part gets floor(fraction * size) examples, and
     * the remainder goes one each to the first parts, round-robin, as random_split does with fractions.
     */
    static <E> List<Dataset<E>> randomSplit(Dataset<E> dataset, long seed, double... fractions) {
        Objects.requireNonNull(dataset, "Dataset.randomSplit: dataset is null");
        Objects.requireNonNull(fractions, "Dataset.randomSplit: fractions is null");
        double sum = 0;
        for (double f : fractions) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("Dataset.randomSplit: fractions must lie in [0, 1], got "
                        + Arrays.toString(fractions));
            }
            sum += f;
        }
        if (fractions.length == 0 || Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("Dataset.randomSplit: fractions " + Arrays.toString(fractions) + " add up to "
                    + sum + ", not 1");
        }
        int n = dataset.size();
        int[] sizes = new int[fractions.length];
        int left = n;
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (int) Math.floor(fractions[i] * n);
            left -= sizes[i];
        }
        for (int i = 0; left > 0; i = (i + 1) % sizes.length, left--) {
            sizes[i]++;
        }
        return randomSplit(dataset, seed, sizes);
    }

    /** Salts randomSplit's seed apart from a DataLoader's shuffle with the same seed. */
    long SPLIT_SALT = 0x2545F4914F6CDD1DL;

    /** Stafford's variant 13 of the 64-bit finaliser (as SplittableRandom's own mix64): seeds to independent streams. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
    static int[] permutation(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The examples at {@code indices} of {@code source} (checked, and copied in and out). */
    record Subset<E>(Dataset<E> source, int[] indices) implements Dataset<E> {
        public Subset {
            Objects.requireNonNull(source, "Dataset.Subset: source is null");
            indices = Objects.requireNonNull(indices, "Dataset.Subset: indices is null").clone();
            for (int i : indices) {
                if (i < 0 || i >= source.size()) {
                    throw new IllegalArgumentException("Dataset.Subset: index " + i + " out of range for a dataset of "
                            + source.size() + " examples");
                }
            }
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }

        @Override
        public int size() {
            return indices.length;
        }

        @Override
        public E get(int index) {
            if (index < 0 || index >= indices.length) {
                throw new IllegalArgumentException("Dataset.get: index " + index + " out of range for a subset of "
                        + indices.length + " examples");
            }
            return source.get(indices[index]);
        }
    }
}
