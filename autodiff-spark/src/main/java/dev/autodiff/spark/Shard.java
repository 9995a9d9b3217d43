package dev.autodiff.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import scala.Tuple2;

/** One partition's examples with their global indices (ascending), cached on its executor for the whole training. */
final class Shard<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    final int[] indices;
    final List<T> examples;
    /** An index outside [0, 2^31 - 9) met in this partition (its example left out), or -1: the driver reports it. */
    final long invalid;

    private Shard(int[] indices, List<T> examples, long invalid) {
        this.indices = indices;
        this.examples = examples;
        this.invalid = invalid;
    }

    /**
     * The shard of a partition of (global index, example) pairs, in any order; sorted here by index. Nothing is refused
     * here (an exception in a task would reach the user wrapped by Spark): the driver checks the indices of all shards.
     */
    static <T> Shard<T> of(Iterator<Tuple2<Long, T>> it) {
        List<Tuple2<Long, T>> all = new ArrayList<>();
        long invalid = -1;
        while (it.hasNext()) {
            Tuple2<Long, T> t = it.next();
            if (t._1() == null || t._1() < 0 || t._1() > Integer.MAX_VALUE - 8) {
                invalid = t._1() == null ? Long.MIN_VALUE : t._1();
            } else {
                all.add(t);
            }
        }
        all.sort((a, b) -> Long.compare(a._1(), b._1()));
        int[] idx = new int[all.size()];
        List<T> ex = new ArrayList<>(all.size());
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (int) (long) all.get(i)._1();
            ex.add(all.get(i)._2());
        }
        return new Shard<>(idx, ex, invalid);
    }

    /** This shard's examples among {@code batch} (global indices), in the batch's order. */
    List<T> select(int[] batch) {
        List<T> out = new ArrayList<>();
        for (int g : batch) {
            int k = Arrays.binarySearch(indices, g);
            if (k >= 0) {
                out.add(examples.get(k));
            }
        }
        return out;
    }
}
