package dev.autodiff;

import dev.autodiff.kernel.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * torch.einsum as a composite of existing differentiable ops, so forward mode, reverse mode and every order
 * come from theirs: a subscript repeated within one operand takes that diagonal ({@link Tensor#diagonal}), a
 * subscript in no other operand and not in the output is summed away at once, and operands are contracted two
 * at a time, each pair permuted and reshaped into one (batched) matrix product
 * {@code (batch, left, contracted) @ (batch, contracted, right)}, never an element loop.
 *
 * <p>Order of the pairwise contractions: opt_einsum's greedy rule. Among the pairs that share a subscript, the
 * one whose result grows memory least ({@code size(result) - size(a) - size(b)}, first pair on a tie) goes
 * first; when no pair shares one, the two smallest operands are multiplied out. For a chain
 * {@code ij,jk,kl->il} with a narrow middle this avoids the large intermediate a left-to-right order makes.
 *
 * <p>Subscripts: letters a-z and A-Z, spaces ignored, at most one {@code ...} per operand standing for its
 * leading unnamed dimensions, which broadcast across operands (right-aligned, as NumPy's). A subscript of
 * size 1 in one operand broadcasts against the other operands' size, as in PyTorch. Without {@code ->} the
 * output is the broadcast {@code ...} dimensions followed by the subscripts that occur exactly once, in
 * alphabetical order (upper case first); with it, {@code ...} dimensions left out of the output are summed.
 */
final class Einsum {
    private Einsum() {}

    /** Label ids: 'A'..'Z' are 0..25, 'a'..'z' are 26..51, the broadcast dimensions under ... are 52 + j. */
    private static final int ELLIPSIS = 52;
    /** A placeholder for ... while parsing. */
    private static final int DOTS = -1;

    private record Term(Tensor t, int[] labels) {}

    static Tensor einsum(String equation, Tensor... operands) {
        if (equation == null) {
            throw new IllegalArgumentException("einsum: the equation is null");
        }
        if (operands == null || operands.length == 0) {
            throw new IllegalArgumentException("einsum: needs at least one operand, got none for \"" + equation + "\"");
        }
        for (int i = 0; i < operands.length; i++) {
            if (operands[i] == null) {
                throw new IllegalArgumentException("einsum: operand " + i + " is null");
            }
        }
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        String[] terms = lhs.split(",", -1);
        if (terms.length != operands.length) {
            throw new IllegalArgumentException("einsum: \"" + equation + "\" has subscripts for " + terms.length
                    + " operand(s) but " + operands.length + " operand(s) were given");
        }
        int[][] parsed = new int[terms.length][];
        int ellipsisRank = 0;
        for (int i = 0; i < terms.length; i++) {
            parsed[i] = parse(equation, terms[i], "operand " + i);
            int named = 0;
            boolean dots = false;
            for (int l : parsed[i]) {
                named += l == DOTS ? 0 : 1;
                dots |= l == DOTS;
            }
            int rank = operands[i].rank();
            if (dots ? rank < named : rank != named) {
                throw new IllegalArgumentException("einsum: operand " + i + " has shape " + Shapes.str(operands[i].shape)
                        + " (rank " + rank + ") but its subscripts \"" + terms[i] + "\" name " + named + " dimension(s)"
                        + (dots ? " besides ..." : " and no ... was given"));
            }
            ellipsisRank = Math.max(ellipsisRank, rank - named);
        }
        // each operand's labels, one per dimension, with ... expanded to its (right-aligned) broadcast labels
        int[][] labels = new int[terms.length][];
        int[] size = new int[ELLIPSIS + ellipsisRank];
        Arrays.fill(size, -1);
        int[] count = new int[size.length];
        for (int i = 0; i < terms.length; i++) {
            int rank = operands[i].rank();
            int covered = rank - (parsed[i].length - (contains(parsed[i], DOTS) ? 1 : 0));
            labels[i] = new int[rank];
            int d = 0;
            for (int l : parsed[i]) {
                if (l == DOTS) {
                    for (int j = 0; j < covered; j++) {
                        labels[i][d++] = ELLIPSIS + ellipsisRank - covered + j;
                    }
                } else {
                    labels[i][d++] = l;
                }
            }
            for (d = 0; d < rank; d++) {
                int l = labels[i][d];
                int n = operands[i].shape[d];
                int first = indexOf(labels[i], l);
                if (first < d && operands[i].shape[first] != n) {
                    throw new IllegalArgumentException("einsum: " + name(l) + " is repeated in operand " + i + " (shape "
                            + Shapes.str(operands[i].shape) + ") on dimensions of sizes " + operands[i].shape[first]
                            + " and " + n + "; a diagonal needs equal sizes");
                }
                count[l]++;
                if (size[l] == -1 || size[l] == 1) {
                    size[l] = n; // a size 1 broadcasts to any size, 0 included
                } else if (n != 1 && n != size[l]) {
                    throw new IllegalArgumentException("einsum: " + name(l) + " has size " + n + " in operand " + i
                            + " (shape " + Shapes.str(operands[i].shape) + ") but size " + size[l]
                            + " in an earlier operand; sizes must be equal or 1");
                }
            }
        }
        int[] out;
        if (arrow < 0) {
            List<Integer> o = new ArrayList<>();
            for (int j = 0; j < ellipsisRank; j++) {
                o.add(ELLIPSIS + j);
            }
            for (int l = 0; l < ELLIPSIS; l++) {
                if (count[l] == 1) {
                    o.add(l);
                }
            }
            out = o.stream().mapToInt(Integer::intValue).toArray();
        } else {
            String rhs = eq.substring(arrow + 2);
            int[] p = parse(equation, rhs, "the output");
            List<Integer> o = new ArrayList<>();
            boolean[] seen = new boolean[size.length];
            for (int l : p) {
                if (l == DOTS) {
                    for (int j = 0; j < ellipsisRank; j++) {
                        o.add(ELLIPSIS + j);
                    }
                    continue;
                }
                if (count[l] == 0) {
                    throw new IllegalArgumentException("einsum: output " + name(l) + " of \"" + equation
                            + "\" appears in no operand's subscripts");
                }
                if (seen[l]) {
                    throw new IllegalArgumentException("einsum: output " + name(l) + " appears more than once in \""
                            + equation + "\"");
                }
                seen[l] = true;
                o.add(l);
            }
            out = o.stream().mapToInt(Integer::intValue).toArray();
        }

        List<Term> live = new ArrayList<>();
        for (int i = 0; i < operands.length; i++) {
            live.add(diagonals(operands[i], labels[i], i));
        }
        // sum away what no other operand and not the output needs
        for (int i = 0; i < live.size(); i++) {
            live.set(i, sumUnneeded(live.get(i), needed(live, i, -1, out, size.length)));
        }
        while (live.size() > 1) {
            int bi = -1;
            int bj = -1;
            long best = Long.MAX_VALUE;
            boolean shared = false;
            for (int i = 0; i < live.size(); i++) {
                for (int j = i + 1; j < live.size(); j++) {
                    boolean s = sharesLabel(live.get(i).labels, live.get(j).labels);
                    if (shared && !s) {
                        continue;
                    }
                    long cost;
                    if (s) {
                        boolean[] keep = needed(live, i, j, out, size.length);
                        long result = 1;
                        for (int l : live.get(i).labels) {
                            result *= keep[l] ? size[l] : 1;
                        }
                        for (int l : live.get(j).labels) {
                            result *= keep[l] && !contains(live.get(i).labels, l) ? size[l] : 1;
                        }
                        cost = result - live.get(i).t.size() - live.get(j).t.size();
                    } else {
                        cost = (long) live.get(i).t.size() + live.get(j).t.size();
                    }
                    if ((s && !shared) || cost < best) {
                        best = cost;
                        bi = i;
                        bj = j;
                        shared = s;
                    }
                }
            }
            Term c = contract(live.get(bi), live.get(bj), needed(live, bi, bj, out, size.length), size);
            live.remove(bj);
            live.set(bi, c);
        }
        Term last = sumUnneeded(live.get(0), needed(live, 0, -1, out, size.length));
        int[] perm = new int[out.length];
        for (int d = 0; d < out.length; d++) {
            perm[d] = indexOf(last.labels, out[d]);
        }
        return permute(last.t, perm);
    }

    private static int[] parse(String equation, String term, String what) {
        List<Integer> l = new ArrayList<>();
        boolean dots = false;
        for (int k = 0; k < term.length(); k++) {
            char c = term.charAt(k);
            if (c >= 'A' && c <= 'Z') {
                l.add(c - 'A');
            } else if (c >= 'a' && c <= 'z') {
                l.add(c - 'a' + 26);
            } else if (c == '.' && term.startsWith("...", k)) {
                if (dots) {
                    throw new IllegalArgumentException("einsum: the subscripts \"" + term + "\" of " + what + " in \""
                            + equation + "\" have more than one ...");
                }
                dots = true;
                l.add(DOTS);
                k += 2;
            } else {
                throw new IllegalArgumentException("einsum: invalid subscript '" + c + "' in \"" + term + "\" (" + what
                        + ") of \"" + equation + "\"; expected letters a-z, A-Z, ... or ->");
            }
        }
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String name(int label) {
        if (label >= ELLIPSIS) {
            return "dimension " + (label - ELLIPSIS) + " under ...";
        }
        return "subscript '" + (char) (label < 26 ? 'A' + label : 'a' + label - 26) + "'";
    }

    /** A subscript repeated within one operand: its diagonal, as PyTorch's einsum ("ii->i", "ii"). */
    private static Term diagonals(Tensor t, int[] labels, int operand) {
        int[] l = labels;
        for (int p = 0; p < l.length; p++) {
            for (int q = p + 1; q < l.length; q++) {
                if (l[p] != l[q]) {
                    continue;
                }
                if (t.shape[p] != t.shape[q]) {
                    throw new IllegalArgumentException("einsum: " + name(l[p]) + " is repeated in operand " + operand
                            + " (shape " + Shapes.str(t.shape) + ") on dimensions of sizes " + t.shape[p] + " and "
                            + t.shape[q] + "; a diagonal needs equal sizes");
                }
                // diagonal removes axes p and q and appends the diagonal last
                t = t.diagonal(0, p, q);
                int[] next = new int[l.length - 1];
                for (int d = 0, k = 0; d < l.length; d++) {
                    if (d != p && d != q) {
                        next[k++] = l[d];
                    }
                }
                next[next.length - 1] = l[p];
                l = next;
                p = -1; // rescan
                break;
            }
        }
        return new Term(t, l);
    }

    /** The labels needed by the output or by a live term other than i and j (j = -1: other than i). */
    private static boolean[] needed(List<Term> live, int i, int j, int[] out, int labels) {
        boolean[] keep = new boolean[labels];
        for (int l : out) {
            keep[l] = true;
        }
        for (int k = 0; k < live.size(); k++) {
            if (k != i && k != j) {
                for (int l : live.get(k).labels) {
                    keep[l] = true;
                }
            }
        }
        return keep;
    }

    private static Term sumUnneeded(Term term, boolean[] keep) {
        boolean all = true;
        for (int l : term.labels) {
            all &= keep[l];
        }
        if (all) {
            return term;
        }
        List<Integer> axes = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int d = 0; d < term.labels.length; d++) {
            (keep[term.labels[d]] ? rest : axes).add(d);
        }
        if (axes.isEmpty()) {
            return term;
        }
        Tensor s = term.t.sum(axes.stream().mapToInt(Integer::intValue).toArray());
        return new Term(s, rest.stream().mapToInt(d -> term.labels[d]).toArray());
    }

    /**
     * One pairwise contraction as a (batched) matrix product: a's dimensions permuted to (batch, left,
     * contracted) and b's to (batch, contracted, right), each group flattened into one axis.
     */
    private static Term contract(Term a, Term b, boolean[] keep, int[] size) {
        a = sumUnneeded(a, keepOrShared(keep, b.labels));
        b = sumUnneeded(b, keepOrShared(keep, a.labels));
        List<Integer> batch = new ArrayList<>();
        List<Integer> left = new ArrayList<>();
        List<Integer> inner = new ArrayList<>();
        List<Integer> right = new ArrayList<>();
        for (int l : a.labels) {
            (contains(b.labels, l) ? (keep[l] ? batch : inner) : left).add(l);
        }
        for (int l : b.labels) {
            if (!contains(a.labels, l)) {
                right.add(l);
            }
        }
        // an operand laid out as (batch, contracted, left) or (batch, right, contracted) goes in transposed, as
        // the product's transA/transB variant, instead of through a permuted copy
        boolean transA = !layout(a, batch, left, inner) && layout(a, batch, inner, left);
        boolean transB = !layout(b, batch, inner, right) && layout(b, batch, right, inner);
        Tensor ta = transA ? arrange(a, b.labels, size, batch, inner, left) : arrange(a, b.labels, size, batch, left, inner);
        Tensor tb = transB ? arrange(b, a.labels, size, batch, right, inner) : arrange(b, a.labels, size, batch, inner, right);
        int nb = (int) product(batch, size);
        int m = (int) product(left, a);
        int k = (int) product(inner, size);
        int n = (int) product(right, b);
        int[] sa = transA ? new int[] {k, m} : new int[] {m, k};
        int[] sb = transB ? new int[] {n, k} : new int[] {k, n};
        Tensor c = nb == 1 ? Primitives.matmul(ta.reshape(sa), transA, tb.reshape(sb), transB)
                : Primitives.matmul(ta.reshape(nb, sa[0], sa[1]), transA, tb.reshape(nb, sb[0], sb[1]), transB);
        List<Integer> labels = new ArrayList<>(batch);
        labels.addAll(left);
        labels.addAll(right);
        int[] shape = new int[labels.size()];
        for (int d = 0; d < shape.length; d++) {
            int l = labels.get(d);
            shape[d] = d < batch.size() ? size[l] : (d < batch.size() + left.size() ? dimOf(a, l) : dimOf(b, l));
        }
        return new Term(c.reshape(shape), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Whether the term's dimensions already come in the order g0, g1, g2. */
    private static boolean layout(Term term, List<Integer> g0, List<Integer> g1, List<Integer> g2) {
        int d = 0;
        for (List<Integer> g : List.of(g0, g1, g2)) {
            for (int l : g) {
                if (term.labels[d++] != l) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean[] keepOrShared(boolean[] keep, int[] other) {
        boolean[] k = keep.clone();
        for (int l : other) {
            k[l] = true;
        }
        return k;
    }

    /**
     * The term's dimensions permuted to the order of the three groups; a dimension the other term shares (batch
     * or contracted) is broadcast to that subscript's size, so a size-1 one meets the other term's full size.
     */
    private static Tensor arrange(Term term, int[] other, int[] size, List<Integer> g0, List<Integer> g1, List<Integer> g2) {
        List<Integer> order = new ArrayList<>(g0);
        order.addAll(g1);
        order.addAll(g2);
        int[] perm = new int[order.size()];
        int[] target = new int[order.size()];
        boolean expand = false;
        for (int d = 0; d < perm.length; d++) {
            int l = order.get(d);
            perm[d] = indexOf(term.labels, l);
            target[d] = contains(other, l) ? size[l] : term.t.shape[perm[d]];
            expand |= target[d] != term.t.shape[perm[d]];
        }
        Tensor t = permute(term.t, perm);
        return expand ? t.broadcastTo(target) : t;
    }

    private static Tensor permute(Tensor t, int[] perm) {
        for (int d = 0; d < perm.length; d++) {
            if (perm[d] != d) {
                return t.permute(perm);
            }
        }
        return t;
    }

    private static long product(List<Integer> labels, int[] size) {
        long p = 1;
        for (int l : labels) {
            p *= size[l];
        }
        return p;
    }

    private static long product(List<Integer> labels, Term term) {
        long p = 1;
        for (int l : labels) {
            p *= dimOf(term, l);
        }
        return p;
    }

    private static int dimOf(Term term, int label) {
        return term.t.shape[indexOf(term.labels, label)];
    }

    private static boolean sharesLabel(int[] a, int[] b) {
        for (int l : a) {
            if (contains(b, l)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(int[] a, int x) {
        return indexOf(a, x) >= 0;
    }

    private static int indexOf(int[] a, int x) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
