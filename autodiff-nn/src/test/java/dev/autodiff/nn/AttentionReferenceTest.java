package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.attention.Attention;
import dev.autodiff.nn.attention.AttentionMask;
import dev.autodiff.nn.attention.MultiheadAttention;
import dev.autodiff.nn.attention.SinusoidalPositionalEncoding;
import dev.autodiff.nn.attention.TransformerDecoderLayer;
import dev.autodiff.nn.attention.TransformerEncoderLayer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The attention layers against PyTorch in float64 to 1e-10 (fixtures/torch_attention.txt, written by
 * autodiff-nn/fixtures/generate_attention.py): scaled dot-product attention against the math of PyTorch 2.x's
 * documentation; MultiheadAttention, TransformerEncoderLayer and TransformerDecoderLayer (eval mode) against
 * torch.nn 1.13 with PyTorch's weights copied in by name: outputs, weights, and the gradients for every input and
 * every parameter.
 */
class AttentionReferenceTest {
    private static final TorchFixtures F = new TorchFixtures("torch_attention.txt");
    private static final double TOL = 1e-10;

    private static void close(String fixture, Tensor actual) {
        Tensor expected = F.get(fixture);
        assertArrayEquals(expected.shape(), actual.shape(), fixture + " shape");
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), fixture + " at " + i);
        }
    }

    /** PyTorch's weights into the module by PyTorch's names; every parameter of the module has one, in its shape. */
    private static void load(Module m, String prefix) {
        m.parameters().forEach((name, p) -> {
            Tensor w = F.get(prefix + "." + name);
            assertArrayEquals(w.shape(), p.shape(), name + ": PyTorch's layout");
            p.assign(w);
        });
    }

    private static AttentionMask mask(String fixture, boolean bool, boolean trueBlocks) {
        if (!F.has(fixture)) {
            return null;
        }
        Tensor t = F.get(fixture);
        return !bool ? AttentionMask.additive(t) : trueBlocks ? AttentionMask.blocked(t) : AttentionMask.allowed(t);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"plain, none, false, NaN", "bool, bool, false, NaN", "float, float, false, NaN", "causal, none, true, NaN",
            "scaled, none, false, 0.3"})
    void scaledDotProductAsPyTorchsMath(String name, String maskKind, boolean causal, double scale) {
        String p = "sdpa." + name + ".";
        Tensor q = F.get(p + "q").requiresGrad();
        Tensor k = F.get(p + "k").requiresGrad();
        Tensor v = F.get(p + "v").requiresGrad();
        Tensor m = maskKind.equals("float") ? F.get(p + "mask").requiresGrad() : null;
        AttentionMask am = maskKind.equals("bool") ? AttentionMask.allowed(F.get(p + "mask"))
                : m != null ? AttentionMask.additive(m) : null;
        Tensor y = Attention.attend(q, k, v, am, 0.0, causal, scale, null).output();
        close(p + "output", y);
        Tensor loss = y.mul(F.get(p + "r")).sum();
        Tensor[] g = Autodiff.grad(loss, m == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, m});
        close(p + "gradQ", g[0]);
        close(p + "gradK", g[1]);
        close(p + "gradV", g[2]);
        if (m != null) {
            close(p + "gradMask", g[3]);
        }
        if (Double.isNaN(scale) && !causal && am == null) {
            close(p + "output", Attention.scaledDotProduct(F.get(p + "q"), F.get(p + "k"), F.get(p + "v")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"basic, 6, 2, 6, 6, true, false, false, true", "selfBatchFirst, 6, 3, 6, 6, true, true, true, false",
            "kdimVdimNoBias, 4, 2, 3, 5, false, false, false, true", "unbatched, 4, 1, 4, 4, true, false, false, true"})
    void multiheadAttentionAsTorch(String name, int e, int heads, int kdim, int vdim, boolean bias, boolean batchFirst,
            boolean self, boolean average) {
        String p = "mha." + name;
        MultiheadAttention m = new MultiheadAttention(e, heads, 0.0, bias, kdim, vdim, batchFirst, 7);
        List<String> names = new ArrayList<>(m.parameters().keySet());
        List<String> torch = new ArrayList<>(kdim == e && vdim == e ? List.of("in_proj_weight")
                : List.of("q_proj_weight", "k_proj_weight", "v_proj_weight"));
        if (bias) {
            torch.add("in_proj_bias");
        }
        torch.add("out_proj.weight");
        if (bias) {
            torch.add("out_proj.bias");
        }
        assertEquals(torch, names, "PyTorch's parameter names in its order");
        load(m, p);
        Tensor query = F.get(p + ".query").requiresGrad();
        Tensor key = self ? query : F.get(p + ".key").requiresGrad();
        Tensor value = self ? query : F.get(p + ".value").requiresGrad();
        boolean attnBool = name.equals("selfBatchFirst") || name.equals("kdimVdimNoBias");
        Attention.Result r = m.forward(query, key, value, mask(p + ".keyPaddingMask", true, true), true,
                mask(p + ".attnMask", attnBool, true), average);
        close(p + ".output", r.output());
        close(p + ".weights", r.weights());
        Tensor loss = r.output().mul(F.get(p + ".r")).sum().add(r.weights().mul(F.get(p + ".rw")).sum());
        List<Tensor> inputs = new ArrayList<>(self ? List.of(query) : List.of(query, key, value));
        int n = inputs.size();
        inputs.addAll(m.parameters().values());
        Tensor[] g = Autodiff.grad(loss, inputs.toArray(new Tensor[0]));
        close(p + ".gradQuery", g[0]);
        if (!self) {
            close(p + ".gradKey", g[1]);
            close(p + ".gradValue", g[2]);
        }
        for (int i = 0; i < names.size(); i++) {
            close(p + ".grad." + names.get(i), g[n + i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"encPostRelu, 6, 2, 8, relu, 1e-5, false, false", "encPreGeluBatchFirst, 6, 3, 10, gelu, 1e-6, true, true",
            "encUnbatched, 4, 2, 6, relu, 1e-5, false, false"})
    void encoderLayerAsTorchInEvalMode(String name, int d, int h, int ff, String act, double eps, boolean batchFirst,
            boolean normFirst) {
        TransformerEncoderLayer m = new TransformerEncoderLayer(d, h, ff, 0.1, act, eps, batchFirst, normFirst, 3);
        assertEquals(List.of("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                "norm1.bias", "norm2.weight", "norm2.bias"), new ArrayList<>(m.parameters().keySet()));
        load(m, name);
        m.eval();
        Tensor x = F.get(name + ".x").requiresGrad();
        Tensor y = m.forward(x, mask(name + ".srcMask", false, true), mask(name + ".srcKeyPaddingMask", true, true));
        close(name + ".output", y);
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        inputs.addAll(m.parameters().values());
        Tensor[] g = Autodiff.grad(y.mul(F.get(name + ".r")).sum(), inputs.toArray(new Tensor[0]));
        close(name + ".gradX", g[0]);
        List<String> names = new ArrayList<>(m.parameters().keySet());
        for (int i = 0; i < names.size(); i++) {
            close(name + ".grad." + names.get(i), g[1 + i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"decPostRelu, 6, 2, 8, relu, 1e-5, false, false", "decPreGeluBatchFirst, 4, 2, 6, gelu, 1e-6, true, true"})
    void decoderLayerAsTorchInEvalMode(String name, int d, int h, int ff, String act, double eps, boolean batchFirst,
            boolean normFirst) {
        TransformerDecoderLayer m = new TransformerDecoderLayer(d, h, ff, 0.1, act, eps, batchFirst, normFirst, 3);
        assertEquals(List.of("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"),
                new ArrayList<>(m.parameters().keySet()));
        load(m, name);
        m.eval();
        Tensor x = F.get(name + ".x").requiresGrad();
        Tensor memory = F.get(name + ".memory").requiresGrad();
        // tgt_mask is generate_square_subsequent_mask: float 0 / -inf; the others are boolean, true ignores
        Tensor y = m.forward(x, memory, mask(name + ".tgt_mask", false, true), mask(name + ".memory_mask", true, true),
                mask(name + ".tgt_key_padding_mask", true, true), mask(name + ".memory_key_padding_mask", true, true));
        close(name + ".output", y);
        List<Tensor> inputs = new ArrayList<>(List.of(x, memory));
        inputs.addAll(m.parameters().values());
        Tensor[] g = Autodiff.grad(y.mul(F.get(name + ".r")).sum(), inputs.toArray(new Tensor[0]));
        close(name + ".gradX", g[0]);
        close(name + ".gradMemory", g[1]);
        List<String> names = new ArrayList<>(m.parameters().keySet());
        for (int i = 0; i < names.size(); i++) {
            close(name + ".grad." + names.get(i), g[2 + i]);
        }
    }

    @Test
    void sinusoidalTableAsThePyTorchTutorialsFormula() {
        close("pe.table", SinusoidalPositionalEncoding.table(7, 6));
        close("pe.table", new SinusoidalPositionalEncoding(6, 7, false).buffers().get("pe"));
    }
}
