package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.Clipping;
import dev.autodiff.nn.optim.EarlyStopping;
import dev.autodiff.nn.optim.Sgd;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleTest {
    @Test
    void parametersAreNamedOrderedAndCounted() {
        Sequential net = new Sequential(new Linear(3, 4, 1), new Lambda("ReLU", Tensor::relu), new Linear(4, 2, 2));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(net.parameters().keySet()));
        assertEquals(3 * 4 + 4 + 4 * 2 + 2, net.parameterCount());
        String summary = net.summary(5, 3);
        assertTrue(summary.contains("Linear(3 -> 4)") && summary.contains("[5, 4]") && summary.contains("[5, 2]")
                && summary.contains("total parameters: 26"), summary);
    }

    @Test
    void aModelPrintsAsATreeAndItsSummaryDescends() {
        Mlp mlp = new Mlp(new int[] {4, 3, 2}, "tanh", Tensor::tanh, 1);
        Sequential net = new Sequential(mlp, new Lambda("ReLU", Tensor::relu), new Residual(new Linear(2, 2, 3)));
        String tree = net.toString();
        assertEquals(String.join("\n",
                "Sequential",
                "  (0): Mlp",
                "    (layers): Sequential",
                "      (0): Linear(4 -> 3)  [weight [4, 3], bias [3]; 15 parameters]",
                "      (1): tanh",
                "      (2): Linear(3 -> 2)  [weight [3, 2], bias [2]; 8 parameters]",
                "  (1): ReLU",
                "  (2): Residual",
                "    (f): Linear(2 -> 2)  [weight [2, 2], bias [2]; 6 parameters]",
                "total parameters: 29"), tree);
        String summary = net.summary(7, 4);
        // the Mlp's inside is run (its output is its body's), the residual's inner layer is not observable
        assertTrue(summary.contains("0.layers.0 (Linear(4 -> 3))") && summary.contains("[7, 3]"), summary);
        assertTrue(summary.matches("(?s).*2\\.f \\(Linear\\(2 -> 2\\)\\)\\s+-\\s+6.*"), summary);
        assertTrue(summary.contains("total parameters: 29"), summary);
    }

    @Test
    void parametersKeepTheirInitialShape() {
        // a 0-dim initial value stays 0-dim (it was once widened to (1)); PReLU's shared slope is (1), as PyTorch's
        assertArrayEquals(new int[0], new Swish(1.2, true).parameters().get("beta").shape());
        assertArrayEquals(new int[] {1}, new PRelu(1).parameters().get("weight").shape());
        assertArrayEquals(new int[] {3}, new PRelu(3).parameters().get("weight").shape());
    }

    @Test
    void trainEvalAndZeroGrad() {
        Mlp mlp = new Mlp(new int[] {2, 3, 1}, "tanh", Tensor::tanh, 1);
        assertTrue(mlp.isTraining());
        mlp.eval();
        assertFalse(mlp.children().values().iterator().next().isTraining());
        mlp.train();
        mlp.forward(Tensor.ones(4, 2)).sum().backward();
        assertTrue(mlp.parameters().values().stream().allMatch(p -> p.grad() != null));
        mlp.zeroGrad();
        mlp.parameters().values().forEach(p -> assertNull(p.grad()));
    }

    @Test
    void badShapesAndSettingsAreReported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Linear(3, 2, 1).forward(Tensor.ones(2, 4)));
        assertTrue(e.getMessage().contains("Linear(3 -> 2)") && e.getMessage().contains("[2, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(Tensor.ones(2)), 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(Tensor.ones(2).requiresGrad()), -1));
        assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(Tensor.ones(2, 3), new int[] {0, 3}));
    }

    @Test
    void clippingScalesTheJointNorm() {
        Tensor a = Tensor.fromArray(new double[] {3, 0}).requiresGrad();
        Tensor b = Tensor.fromArray(new double[] {0}).requiresGrad();
        a.mul(Tensor.fromArray(new double[] {3, 0})).sum().add(b.mul(4.0).sum()).backward(); // grads (3, 0), (4)
        double norm = Clipping.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-12);
        assertEquals(0.6, a.grad().get(0), 1e-6);
        assertEquals(0.8, b.grad().get(0), 1e-6);
    }

    @Test
    void earlyStoppingWaitsForPatience() {
        EarlyStopping es = new EarlyStopping(2, 0.01, false);
        assertFalse(es.update(1.0));
        assertFalse(es.update(0.5));
        assertFalse(es.update(0.495)); // not better by more than 0.01
        assertTrue(es.update(0.6));
        assertEquals(0.5, es.best());
    }

    /** XOR with a 2-4-1 tanh/sigmoid network: 100% accuracy from a fixed seed. */
    @Test
    void xorTrainsToFullAccuracy() {
        Tensor x = Tensor.fromArray(new double[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        Tensor y = Tensor.fromArray(new double[] {0, 1, 1, 0}, 4, 1);
        Sequential net = new Sequential(new Linear(2, 4, 42), new Lambda("tanh", Tensor::tanh), new Linear(4, 1, 44),
                new Lambda("sigmoid", Tensor::sigmoid));
        Adam opt = new Adam(net.parameters().values(), 0.05);
        double loss = 0;
        for (int step = 0; step < 500; step++) {
            opt.zeroGrad();
            Tensor l = Losses.binaryCrossEntropy(net.forward(x), y);
            l.backward();
            opt.step();
            loss = l.item();
        }
        double[] p = net.forward(x).toArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(y.get(i, 0), p[i] > 0.5 ? 1.0 : 0.0, "XOR case " + i + " (p = " + p[i] + ", loss " + loss + ")");
        }
        assertTrue(loss < 0.05, "final loss " + loss);
    }

    /** Each activation's module form computes exactly its function form. */
    @Test
    void activationModulesMatchTheirFunctions() {
        Tensor x = Tensor.randn(4, 3, 5).mul(2);
        java.util.Map<Module, Tensor> pairs = new java.util.LinkedHashMap<>();
        pairs.put(Activations.sigmoid(), Activations.sigmoid(x));
        pairs.put(Activations.tanh(), Activations.tanh(x));
        pairs.put(Activations.relu(), Activations.relu(x));
        pairs.put(Activations.leakyRelu(0.2), Activations.leakyRelu(x, 0.2));
        pairs.put(Activations.elu(0.7), Activations.elu(x, 0.7));
        pairs.put(Activations.selu(), Activations.selu(x));
        pairs.put(Activations.softplus(), Activations.softplus(x));
        pairs.put(Activations.gelu(), Activations.gelu(x));
        pairs.put(Activations.hardSigmoid(), Activations.hardSigmoid(x));
        pairs.put(Activations.hardTanh(), Activations.hardTanh(x));
        pairs.put(Activations.softmax(1), Activations.softmax(x, 1));
        pairs.put(Activations.logSoftmax(0), Activations.logSoftmax(x, 0));
        pairs.forEach((m, expected) -> org.junit.jupiter.api.Assertions.assertArrayEquals(expected.toArray(),
                m.forward(x).toArray(), m.describe()));
    }

    @Test
    void trainingNeverChangesTheTensorsAModuleWasBuiltFrom() {
        Tensor w = Tensor.fromArray(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.fromArray(new double[] {0.5, -0.5});
        Linear lin = new Linear(w, b);
        Sgd sgd = new Sgd(lin.parameters().values(), 0.1);
        lin.forward(Tensor.ones(3, 2)).sum().backward();
        sgd.step();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 2, 3, 4}, w.toArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {0.5, -0.5}, b.toArray());
        assertEquals(0.5 - 0.1 * 3, lin.bias().get(0), 1e-15);
    }

    @Test
    void clippingSharedGradientsScalesEachOnce() {
        Tensor a = Tensor.scalar(3).requiresGrad();
        Tensor b = Tensor.scalar(4).requiresGrad();
        a.add(b).mul(10.0).backward(); // both gradients are the same tensor, 10
        double norm = Clipping.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(Math.sqrt(200), norm, 1e-12);
        assertEquals(10 / Math.sqrt(200), a.grad().item(), 1e-6);
        assertEquals(10 / Math.sqrt(200), b.grad().item(), 1e-6);
    }

    /** The PyTorch-named classes behave as the general ones and check the input's rank. */
    @Test
    void pytorchNamedNormalisationAndPoolingLayers() {
        Tensor x4 = Tensor.randn(3, 2, 3, 4, 4);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new BatchNorm(3).forward(x4).toArray(),
                new BatchNorm2d(3).forward(x4).toArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(dev.autodiff.nn.conv.Pool2d.max(2, 2, 0).forward(x4).toArray(),
                new dev.autodiff.nn.conv.MaxPool2d(2).forward(x4).toArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(dev.autodiff.nn.conv.Pool2d.avg(3, 1, 1).forward(x4).toArray(),
                new dev.autodiff.nn.conv.AvgPool2d(3, 1, 1).forward(x4).toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.ones(2, 3)));
        assertTrue(e.getMessage().contains("BatchNorm2d(3)") && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(x4));
        new BatchNorm1d(3).forward(Tensor.ones(2, 3, 5));
    }
}
