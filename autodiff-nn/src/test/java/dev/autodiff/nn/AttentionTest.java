package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.check.GradCheck;
import dev.autodiff.nn.attention.Attention;
import dev.autodiff.nn.attention.AttentionMask;
import dev.autodiff.nn.attention.LearnedPositionalEmbedding;
import dev.autodiff.nn.attention.MultiheadAttention;
import dev.autodiff.nn.attention.SinusoidalPositionalEncoding;
import dev.autodiff.nn.attention.TransformerDecoderLayer;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The attention layers by finite differences (both modes, second order), the fully masked query, dropout on the
 * weights, the positional encodings by hand, and bad input named by the layer.
 */
class AttentionTest {
    private static final double[] MASK = {0, Double.NEGATIVE_INFINITY, 0.3, 0, -0.7, Double.NEGATIVE_INFINITY, 0, 0, 1.2, 0, 0,
        Double.NEGATIVE_INFINITY};

    @Test
    void scaledDotProductGradCheckBothModesAndSecondOrder() {
        AttentionMask mask = AttentionMask.additive(Tensor.fromArray(MASK, 3, 4));
        GradCheck.of(xs -> Attention.scaledDotProduct(xs[0], xs[1], xs[2], mask, 0, false, null)).tolerance(1e-6, 1e-5)
                .check(Tensor.randn(1, 2, 3, 5), Tensor.randn(2, 2, 4, 5), Tensor.randn(3, 2, 4, 2));
        GradCheck.of(xs -> Attention.scaledDotProduct(xs[0], xs[1], xs[2], null, 0, true, null)).tolerance(1e-6, 1e-5)
                .checkSecondOrder(Tensor.randn(4, 3, 2), Tensor.randn(5, 3, 2), Tensor.randn(6, 3, 2));
        // a float mask that is itself differentiated (as PyTorch's attn_mask may be)
        GradCheck.of(xs -> Attention.scaledDotProduct(xs[0], xs[1], xs[2], AttentionMask.additive(xs[3]), 0, false, null))
                .tolerance(1e-6, 1e-5).checkSecondOrder(Tensor.randn(7, 3, 2), Tensor.randn(8, 4, 2), Tensor.randn(9, 4, 3),
                        Tensor.randn(10, 3, 4));
    }

    @Test
    void aQueryThatSeesNoKeyGetsZerosAndTheOthersAreUntouched() {
        Tensor q = Tensor.randn(1, 3, 2).requiresGrad();
        Tensor k = Tensor.randn(2, 4, 2).requiresGrad();
        Tensor v = Tensor.randn(3, 4, 3).requiresGrad();
        double[] keep = {1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0}; // query 1 sees nothing
        Attention.Result r = Attention.attend(q, k, v, AttentionMask.allowed(Tensor.fromArray(keep, 3, 4)), 0, false, Double.NaN, null);
        for (int j = 0; j < 4; j++) {
            assertEquals(0.0, r.weights().get(1, j), "weight of the fully masked query");
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(0.0, r.output().get(1, c), "output of the fully masked query");
        }
        // query 0 alone, with its two keys: softmax by hand
        double s0 = dot(q, 0, k, 0) / Math.sqrt(2);
        double s2 = dot(q, 0, k, 2) / Math.sqrt(2);
        double s3 = dot(q, 0, k, 3) / Math.sqrt(2);
        double z = Math.exp(s0) + Math.exp(s2) + Math.exp(s3);
        assertEquals(Math.exp(s2) / z, r.weights().get(0, 2), 1e-14);
        Tensor[] g = Autodiff.grad(r.output().sum(), q, k, v);
        for (Tensor t : g) {
            for (double x : t.toArray()) {
                assertTrue(Double.isFinite(x), "gradients stay finite");
            }
        }
        assertEquals(0.0, g[0].get(1, 0));
        assertEquals(0.0, g[0].get(1, 1));
        // the same query through MultiheadAttention's key_padding_mask: zeros, not 1.13's NaN
        MultiheadAttention m = new MultiheadAttention(4, 2, 0, true, 4, 4, true, 5);
        Tensor x = Tensor.randn(6, 2, 3, 4);
        Tensor pad = Tensor.fromArray(new double[] {0, 0, 1, 1, 1, 1}, 2, 3); // the second sequence is all padding
        Attention.Result mr = m.forward(x, x, x, AttentionMask.blocked(pad), true, null, true);
        for (double w : mr.weights().slice(0, 1, 2).toArray()) {
            assertEquals(0.0, w);
        }
    }

    private static double dot(Tensor a, int i, Tensor b, int j) {
        double s = 0;
        for (int c = 0; c < a.dim(1); c++) {
            s += a.get(i, c) * b.get(j, c);
        }
        return s;
    }

    @Test
    void multiheadAttentionGradCheckWithMasksBothModesAndSecondOrder() {
        // query, key and value; the parameters' gradients are PyTorch's to 1e-10 (AttentionReferenceTest)
        MultiheadAttention m = new MultiheadAttention(4, 2, 0, true, 3, 5, false, 11);
        AttentionMask pad = AttentionMask.blocked(Tensor.fromArray(new double[] {0, 0, 1, 0, 1, 0, 0, 0}, 2, 4));
        AttentionMask attn = AttentionMask.additive(Tensor.randn(12, 4, 3, 4).mul(0.5));
        GradCheck.of(xs -> {
            Attention.Result r = m.forward(xs[0], xs[1], xs[2], pad, true, attn, false);
            return r.output().sum(2).add(r.weights().sum(1, 3).transpose(0, 1));
        }).tolerance(1e-6, 1e-5).checkSecondOrder(Tensor.randn(1, 3, 2, 4), Tensor.randn(2, 4, 2, 3), Tensor.randn(3, 4, 2, 5));
    }

    @Test
    void transformerLayersGradCheckInEvalMode() {
        TransformerEncoderLayer enc = new TransformerEncoderLayer(4, 2, 6, 0.1, "gelu", 1e-5, true, true, 2);
        enc.eval();
        AttentionMask causal = AttentionMask.causal(3, 3);
        GradCheck.of(xs -> enc.forward(xs[0], causal, null)).tolerance(1e-6, 1e-5).checkSecondOrder(Tensor.randn(1, 2, 3, 4));
        TransformerDecoderLayer dec = new TransformerDecoderLayer(4, 2, 6, 0.1, "gelu", 1e-5, false, false, 3);
        dec.eval();
        GradCheck.of(xs -> dec.forward(xs[0], xs[1], causal, null, null, null)).tolerance(1e-6, 1e-5)
                .check(Tensor.randn(2, 3, 2, 4), Tensor.randn(3, 5, 2, 4));
    }

    @Test
    void theEncoderLayerIsInvariantToPermutingThePositionsWithoutMasks() {
        // self-attention and the position-wise blocks commute with reordering the sequence: an independent property
        TransformerEncoderLayer enc = new TransformerEncoderLayer(4, 2, 6, 0.0, "relu", 1e-5, false, false, 9);
        Tensor x = Tensor.randn(4, 5, 2, 4);
        int[] perm = {3, 0, 4, 1, 2};
        Tensor a = enc.forward(x).indexSelect(0, perm);
        Tensor b = enc.forward(x.indexSelect(0, perm));
        assertTrue(a.allClose(b, 1e-12, 1e-12));
    }

    @Test
    void dropoutOnTheWeightsIsSeededInvertedAndOffInEvaluation() {
        Tensor q = Tensor.randn(1, 2, 5, 3);
        Tensor k = Tensor.randn(2, 2, 6, 3);
        Tensor v = Tensor.randn(3, 2, 6, 2);
        Attention.Result plain = Attention.attend(q, k, v, null, 0, false, Double.NaN, null);
        Attention.Result a = Attention.attend(q, k, v, null, 0.4, false, Double.NaN, new SplittableRandom(7));
        Attention.Result b = Attention.attend(q, k, v, null, 0.4, false, Double.NaN, new SplittableRandom(7));
        assertArrayEquals(a.output().toArray(), b.output().toArray(), "same seed, same mask");
        double[] w = plain.weights().toArray();
        double[] d = a.weights().toArray();
        int zeros = 0;
        for (int i = 0; i < w.length; i++) {
            if (d[i] == 0) {
                zeros++;
            } else {
                assertEquals(w[i] / 0.6, d[i], 1e-15, "kept weights scaled by 1/(1-p)");
            }
        }
        assertTrue(zeros > 10 && zeros < 50, "about 40% of 60 dropped, got " + zeros);
        assertTrue(a.output().allClose(a.weights().matmul(v), 1e-14, 1e-14), "the output uses the dropped weights");
        double[] all = Attention.attend(q, k, v, null, 1, false, Double.NaN, new SplittableRandom(1)).output().toArray();
        for (double x : all) {
            assertEquals(0.0, x, "p = 1 drops everything");
        }
        MultiheadAttention m = new MultiheadAttention(4, 2, 0.5, true, 4, 4, false, 3);
        Tensor x = Tensor.randn(4, 3, 2, 4);
        Tensor training = m.forward(x);
        m.eval();
        assertNotEquals(training.get(0, 0, 0), m.forward(x).get(0, 0, 0), "training drops weights, evaluation does not");
        assertArrayEquals(m.forward(x).toArray(), m.forward(x).toArray(), "evaluation: no dropout");
    }

    @Test
    void positionalEncodingsByHand() {
        Tensor t = SinusoidalPositionalEncoding.table(4, 5);
        // d = 5 (odd): columns sin(p), cos(p), sin(p / 10000^(2/5)), cos(...), sin(p / 10000^(4/5))
        assertEquals(Math.sin(3), t.get(3, 0), 1e-15);
        assertEquals(Math.cos(3), t.get(3, 1), 1e-15);
        assertEquals(Math.cos(2 / Math.pow(10000, 0.4)), t.get(2, 3), 1e-15);
        assertEquals(Math.sin(3 / Math.pow(10000, 0.8)), t.get(3, 4), 1e-15);
        SinusoidalPositionalEncoding pe = new SinusoidalPositionalEncoding(5, 10, false);
        assertEquals(0, pe.parameters().size(), "no parameters");
        Tensor x = Tensor.zeros(4, 2, 5);
        assertTrue(pe.forward(x).slice(1, 1, 2).reshape(4, 5).allClose(t, 0, 0), "(L, N, d): the same rows for each batch");
        LearnedPositionalEmbedding le = new LearnedPositionalEmbedding(6, 3, true, 1);
        Tensor y = le.forward(Tensor.zeros(2, 4, 3));
        assertTrue(y.slice(0, 0, 1).reshape(4, 3).allClose(le.weight().slice(0, 0, 4), 0, 0));
        y.sum().backward();
        assertEquals(2.0, le.weight().grad().get(3, 1), "each position's row gets the sum over the batch");
        assertEquals(0.0, le.weight().grad().get(5, 1), "unused positions get none");
    }

    @Test
    void badInputIsNamedByTheLayer() {
        Tensor q = Tensor.randn(1, 3, 4);
        assertMessage(() -> Attention.scaledDotProduct(q, Tensor.randn(2, 5, 3), Tensor.randn(3, 5, 2)), "scaledDotProduct", "[5, 3]");
        assertMessage(() -> Attention.scaledDotProduct(q, q, q, AttentionMask.causal(3, 3), 0, true, null), "scaledDotProduct",
                "not both");
        assertMessage(() -> Attention.scaledDotProduct(q, q, q, null, 0.5, false, null), "scaledDotProduct", "random");
        assertMessage(() -> Attention.scaledDotProduct(q, q, q, null, 1.5, false, null), "scaledDotProduct", "1.5");
        assertMessage(() -> Attention.scaledDotProduct(q, q, q, AttentionMask.additive(Tensor.zeros(2, 3)), 0, false, null),
                "scaledDotProduct", "[2, 3]");
        assertMessage(() -> new MultiheadAttention(6, 4, 1), "MultiheadAttention", "divisible");
        MultiheadAttention m = new MultiheadAttention(4, 2, 1);
        assertMessage(() -> m.forward(Tensor.randn(1, 3, 2, 5)), "MultiheadAttention(4", "[3, 2, 5]");
        Tensor x = Tensor.randn(2, 3, 2, 4);
        assertMessage(() -> m.forward(x, x, x, AttentionMask.blocked(Tensor.zeros(3, 2)), false, null, true), "key_padding_mask",
                "[3, 2]");
        assertMessage(() -> m.forward(x, x, x, null, false, AttentionMask.additive(Tensor.zeros(2, 3, 3)), true), "attn_mask",
                "[4, 3, 3]");
        assertMessage(() -> new TransformerEncoderLayer(4, 2, 8, 0.1, "tanh", 1e-5, false, false, 1), "TransformerEncoderLayer",
                "tanh");
        assertMessage(() -> new TransformerEncoderLayer(4, 2, 1).forward(Tensor.randn(3, 3, 5)), "TransformerEncoderLayer(4",
                "[3, 5]");
        TransformerDecoderLayer dec = new TransformerDecoderLayer(4, 2, 1);
        assertThrows(UnsupportedOperationException.class, () -> dec.forward(x));
        assertMessage(() -> dec.forward(x, Tensor.randn(4, 3, 2, 3)), "TransformerDecoderLayer(4", "memory [3, 2, 3]");
        assertMessage(() -> new SinusoidalPositionalEncoding(4, 2, false).forward(x), "SinusoidalPositionalEncoding", "L <= 2");
        assertMessage(() -> new LearnedPositionalEmbedding(5, 3, true, 1).forward(x), "LearnedPositionalEmbedding", "[3, 2, 4]");
        assertMessage(() -> AttentionMask.causal(-1, 2), "AttentionMask.causal", "-1");
        assertMessage(() -> new LayerNorm(new int[] {3}, -1), "LayerNorm", "-1");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) {
            assertTrue(ex.getMessage().contains(p), "message '" + ex.getMessage() + "' should contain '" + p + "'");
        }
    }
}
