package dev.autodiff.nn.data;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Batches of a {@link Dataset}, as torch.utils.data.DataLoader: a batch size, shuffling seeded per epoch,
 * drop-last, collation into batch tensors, and optional background preparation of the next batches.
 *
 * <pre>{@code
 * DataLoader<Batch> train = DataLoader.of(new TensorDataset(x, y)).batchSize(128).shuffle(42).dropLast(true);
 * for (int epoch = 0; epoch < 3; epoch++) {
 *     for (Batch b : train.epoch(epoch)) { ... b.input() ... b.labels() ... }
 * }
 * }</pre>
 *
 * <p>Epoch e's order is a permutation drawn from the seed and e alone, so a run resumed at epoch e sees the
 * batches an uninterrupted run saw; iterating the loader itself ({@code for (Batch b : train)}) runs epochs 0, 1,
 * 2, ... in turn. Without {@link #shuffle} the order is 0..n-1. The configuration methods return a new loader
 * and leave this one as it was.
 *
 * <p>Prefetch: {@link #prefetch(int) prefetch(k)} collates up to k batches ahead on a background thread (one
 * per loader, idle threads exit after a second), in the grad mode of the thread iterating (anomaly detection is
 * not carried over); the batches and their order are the same as without it. The dataset's {@code get} and a
 * collate function then run on that thread, so they must not depend on the iterating thread's state. An
 * exception in collation is thrown from {@code next()} of the batch it concerns. A loader is iterated by one
 * thread at a time.
 *
 * @param <B> the batch type: {@link Batch} for tensor examples, or what a given collate function returns
 */
public final class DataLoader<B> implements Iterable<B> {
    private static final long SHUFFLE_SALT = 0x5DEECE66DL;
    private final Dataset<?> dataset;
    private final Function<int[], B> collate;
    private final int batchSize;
    private final Long seed;
    private final boolean dropLast;
    private final int prefetch;
    private int nextEpoch;
    private ThreadPoolExecutor worker;

    private DataLoader(Dataset<?> dataset, Function<int[], B> collate, int batchSize, Long seed, boolean dropLast,
            int prefetch) {
        this.dataset = dataset;
        this.collate = collate;
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /**
     * Batches of tensor examples, each field stacked along a new first dimension. A {@link TensorDataset}, or a
     * subset of one, is batched by one indexSelect per field.
     */
    public static DataLoader<Batch> of(Dataset<Tensor[]> dataset) {
        Objects.requireNonNull(dataset, "DataLoader.of: dataset is null");
        return new DataLoader<>(dataset, tensorCollate(dataset), 1, null, false, 0);
    }

    /** Batches of any examples, made by {@code collate} from the list of a batch's examples (in batch order). */
    public static <E, B> DataLoader<B> of(Dataset<E> dataset, Function<List<E>, B> collate) {
        Objects.requireNonNull(dataset, "DataLoader.of: dataset is null");
        Objects.requireNonNull(collate, "DataLoader.of: collate is null");
        Function<int[], B> byIndex = indices -> {
            List<E> items = new ArrayList<>(indices.length);
            for (int i : indices) {
                items.add(dataset.get(i));
            }
            return Objects.requireNonNull(collate.apply(items), "DataLoader: the collate function returned null");
        };
        return new DataLoader<>(dataset, byIndex, 1, null, false, 0);
    }

    /** Examples per batch (the default is 1, as PyTorch's). */
    public DataLoader<B> batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader.batchSize: must be >= 1, got " + batchSize);
        }
        return new DataLoader<>(dataset, collate, batchSize, seed, dropLast, prefetch);
    }

    /** Shuffles each epoch, with a permutation drawn from {@code seed} and the epoch number. */
    public DataLoader<B> shuffle(long seed) {
        return new DataLoader<>(dataset, collate, batchSize, seed, dropLast, prefetch);
    }

    /** Drops the last batch of an epoch when it is smaller than the batch size. */
    public DataLoader<B> dropLast(boolean dropLast) {
        return new DataLoader<>(dataset, collate, batchSize, seed, dropLast, prefetch);
    }

    /** Collates up to {@code batches} batches ahead on a background thread; 0 (the default) collates on demand. */
    public DataLoader<B> prefetch(int batches) {
        if (batches < 0) {
            throw new IllegalArgumentException("DataLoader.prefetch: must be >= 0, got " + batches);
        }
        return new DataLoader<>(dataset, collate, batchSize, seed, dropLast, batches);
    }

    /** The number of examples in the dataset. */
    public int size() {
        return dataset.size();
    }

    public int batchSize() {
        return batchSize;
    }

    /** The number of batches in an epoch. */
    public int batches() {
        int n = dataset.size();
        return n / batchSize + (dropLast || n % batchSize == 0 ? 0 : 1); // no n + batchSize - 1: it overflows
    }

    /** The examples of an epoch, in the order they are batched (the dataset's indices). */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader.order: the epoch must be >= 0, got " + epoch);
        }
        int n = dataset.size();
        if (seed == null) {
            int[] order = new int[n];
            Arrays.setAll(order, i -> i);
            return order;
        }
        // one stream per (seed, epoch), its seed mixed from both (SplittableRandom(s) and SplittableRandom(s + its
        // gamma) would be one stream a draw apart), and salted apart from randomSplit's stream for the same seed
        return Dataset.permutation(n, new SplittableRandom(Dataset.mix(Dataset.mix(seed ^ SHUFFLE_SALT) + epoch)));
    }

    /** The batches of epoch {@code epoch}. */
    public Iterable<B> epoch(int epoch) {
        int[] order = order(epoch);
        return () -> prefetch == 0 ? new OnDemand(order) : new Prefetching(order, Autodiff.isGradEnabled());
    }

    /** The batches of the next epoch: 0 the first time, then 1, 2, ... */
    @Override
    public Iterator<B> iterator() {
        return epoch(nextEpoch++).iterator();
    }

    private int[] indices(int[] order, int b) {
        int from = b * batchSize;
        return Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
    }

    private class OnDemand implements Iterator<B> {
        private final int[] order;
        private int next;

        OnDemand(int[] order) {
            this.order = order;
        }

        @Override
        public boolean hasNext() {
            return next < batches();
        }

        @Override
        public B next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: the epoch has " + batches() + " batches");
            }
            return collate.apply(indices(order, next++));
        }
    }

    private class Prefetching implements Iterator<B> {
        private final int[] order;
        private final ArrayDeque<Future<B>> ahead = new ArrayDeque<>();
        private final boolean grad;
        private int submitted;
        private int next;

        /** {@code grad}: the iterating thread's grad mode, in which the worker collates, as without prefetch. */
        Prefetching(int[] order, boolean grad) {
            this.order = order;
            this.grad = grad;
        }

        @Override
        public boolean hasNext() {
            return next < batches();
        }

        @Override
        public B next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: the epoch has " + batches() + " batches");
            }
            // keep the current batch and up to `prefetch` more in flight, in order
            while (submitted < batches() && submitted <= next + prefetch) {
                int[] idx = indices(order, submitted++);
                ahead.add(worker().submit(() -> {
                    try (GradScope s = grad ? Autodiff.enableGrad() : Autodiff.noGrad()) {
                        return collate.apply(idx);
                    }
                }));
            }
            next++;
            try {
                return ahead.poll().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("DataLoader: interrupted while waiting for a batch", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("DataLoader: collating a batch failed", e.getCause());
            }
        }
    }

    private synchronized ThreadPoolExecutor worker() {
        if (worker == null) {
            worker = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "DataLoader-prefetch");
                t.setDaemon(true);
                return t;
            });
            worker.allowCoreThreadTimeOut(true);
        }
        return worker;
    }

    /** Collation of tensor examples: one indexSelect per field for a (subset of a) TensorDataset, else stacking. */
    private static Function<int[], Batch> tensorCollate(Dataset<Tensor[]> dataset) {
        // a chain of subsets over a TensorDataset maps indices down to it
        List<int[]> maps = new ArrayList<>();
        Dataset<Tensor[]> d = dataset;
        while (d instanceof Dataset.Subset<Tensor[]> s) {
            maps.add(s.indices());
            d = s.source();
        }
        if (d instanceof TensorDataset td) {
            return indices -> {
                int[] idx = indices;
                for (int[] map : maps) {
                    int[] down = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) {
                        down[i] = map[idx[i]];
                    }
                    idx = down;
                }
                return td.batch(idx);
            };
        }
        return indices -> {
            Tensor[][] items = new Tensor[indices.length][];
            for (int i = 0; i < indices.length; i++) {
                items[i] = Objects.requireNonNull(dataset.get(indices[i]), "DataLoader: example " + indices[i] + " is null");
                if (items[i].length != items[0].length) {
                    throw new IllegalArgumentException("DataLoader: example " + indices[i] + " has " + items[i].length
                            + " fields, example " + indices[0] + " has " + items[0].length);
                }
            }
            Tensor[] fields = new Tensor[items[0].length];
            for (int k = 0; k < fields.length; k++) {
                Tensor[] column = new Tensor[indices.length];
                for (int i = 0; i < indices.length; i++) {
                    column[i] = Objects.requireNonNull(items[i][k], "DataLoader: field " + k + " of example " + indices[i]
                            + " is null");
                }
                try {
                    fields[k] = Tensor.stack(0, column);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("DataLoader: cannot batch field " + k + " of examples "
                            + Arrays.toString(indices) + ": " + e.getMessage(), e);
                }
            }
            return new Batch(fields);
        };
    }
}
