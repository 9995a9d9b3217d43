package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Autodiff;
import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Sgd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Flatten (shapes from PyTorch), Identity, ModuleList and ModuleDict (PyTorch's parameter names). */
class ContainerModulesTest {
    private static final TorchFixtures F = new TorchFixtures("torch_activations.txt");

    private static int[] ints(Tensor t) {
        return Arrays.stream(t.toArray()).mapToInt(v -> (int) v).toArray();
    }

    @Test
    void flattenShapesAndErrorsAsPyTorchs() {
        int n = (int) F.get("flatten.count").item();
        assertEquals(20, n);
        for (int k = 0; k < n; k++) {
            int[] c = ints(F.get("flatten." + k + ".case"));
            int[] in = ints(F.get("flatten." + k + ".input"));
            Flatten f = new Flatten(c[0], c[1]);
            Tensor x = Tensor.arange(Tensor.zeros(in).size()).reshape(in);
            String what = "Flatten(" + c[0] + ", " + c[1] + ") of " + Arrays.toString(in);
            if (F.has("flatten." + k + ".error")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.forward(x), what);
                assertTrue(e.getMessage().startsWith("Flatten(" + c[0] + ", " + c[1] + "): "), e.getMessage());
            } else {
                Tensor y = f.forward(x);
                assertArrayEquals(ints(F.get("flatten." + k + ".output")), y.shape(), what);
                assertArrayEquals(x.toArray(), y.toArray(), what + ": the elements in their order");
            }
        }
        assertArrayEquals(new int[] {2, 60}, new Flatten().forward(Tensor.zeros(2, 3, 4, 5)).shape(), "default 1..-1");
    }

    @Test
    void flattenPassesGradientsBackInTheInputsShape() {
        Tensor x = Tensor.randn(3, 2, 3, 4).requiresGrad();
        Tensor r = Tensor.randn(4, 2, 12);
        Tensor g = Autodiff.grad(new Flatten().forward(x).mul(r).sum(), x)[0];
        assertArrayEquals(new int[] {2, 3, 4}, g.shape());
        assertArrayEquals(r.toArray(), g.toArray());
        Tensor same = Tensor.randn(5, 2, 3);
        assertSame(same, new Flatten(1, 1).forward(same), "start = end: the input itself, as PyTorch");
        assertEquals("Flatten(1, -1)", new Flatten().describe());
    }

    @Test
    void identityReturnsItsInput() {
        Tensor x = Tensor.randn(1, 3);
        assertSame(x, new Identity().forward(x));
        assertTrue(new Identity().parameters().isEmpty());
    }

    /** A module with a ModuleList and a ModuleDict, as one writes it in PyTorch. */
    static final class Tower extends Module {
        final ModuleList blocks;
        final ModuleDict heads;

        Tower() {
            blocks = child("blocks", new ModuleList(new Linear(3, 3, 1), new Linear(3, 3, 2)));
            blocks.append(new Dropout(0.5, 3));
            Map<String, Module> h = new LinkedHashMap<>();
            h.put("value", new Linear(3, 1, 4));
            h.put("policy", new Linear(3, 2, false, 5));
            heads = child("heads", new ModuleDict(h));
        }

        @Override
        public Tensor forward(Tensor x) {
            for (Module m : blocks) {
                x = m.forward(x).tanh();
            }
            return heads.get("policy").forward(x);
        }
    }

    @Test
    void parametersAreFoundAndNamedAsPyTorchs() {
        Tower t = new Tower();
        // PyTorch: blocks.0.weight, blocks.0.bias, blocks.1.weight, blocks.1.bias, heads.value.weight, ...
        assertEquals(List.of("blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "heads.value.weight",
                "heads.value.bias", "heads.policy.weight"), List.copyOf(t.parameters().keySet()));
        assertEquals(2 * (9 + 3) + 3 + 1 + 6, t.parameterCount());
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(t.blocks.parameters().keySet()));
        assertEquals(List.of("value.weight", "value.bias", "policy.weight"), List.copyOf(t.heads.parameters().keySet()));
        assertEquals(3, t.blocks.size());
        assertSame(t.blocks.get(2), t.blocks.get(-1));
        assertTrue(t.blocks.get(2) instanceof Dropout);
        assertEquals(List.of("value", "policy"), List.copyOf(t.heads.keys()));
        assertSame(t.heads.get("value"), t.heads.values().get(0));
        // eval reaches the modules inside: dropout is off, so two calls agree
        t.eval();
        assertFalse(t.blocks.get(2).isTraining());
        Tensor x = Tensor.randn(6, 4, 3);
        assertArrayEquals(t.forward(x).toArray(), t.forward(x).toArray());
        // an optimiser given the parameters trains the modules inside
        t.train();
        Tensor before = t.blocks.get(0).parameters().get("weight").detach().mul(1.0);
        Sgd sgd = new Sgd(t.parameters().values(), 0.1);
        t.forward(x).sum().backward();
        sgd.step();
        assertFalse(before.allClose(t.blocks.get(0).parameters().get("weight"), 0, 0), "the first block was updated");
        assertTrue(t.toString().contains("(blocks): ModuleList(3)") && t.toString().contains("(policy): Linear(3 -> 2)"), t.toString());
    }

    @Test
    void containersHaveNoForward() {
        Tensor x = Tensor.zeros(2);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> new ModuleList(new Linear(2, 2, 1)).forward(x));
        assertTrue(e.getMessage().startsWith("ModuleList: it has no forward of its own"), e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, () -> new ModuleDict().forward(x));
        assertTrue(e.getMessage().startsWith("ModuleDict: it has no forward of its own"), e.getMessage());
    }

    @Test
    void aModuleListGrowsAndIsIteratedInOrder() {
        List<Module> ms = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ms.add(new Linear(2, 2, i));
        }
        ModuleList list = new ModuleList(ms.subList(0, 2)).extend(ms.subList(2, 4));
        List<Module> seen = new ArrayList<>();
        list.forEach(seen::add);
        assertEquals(ms, seen);
        assertEquals(List.of("0", "1", "2", "3"), List.copyOf(list.children().keySet()));
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(4));
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(-5));
        assertThrows(UnsupportedOperationException.class, () -> list.iterator().remove());
        assertTrue(new ModuleList().isEmpty());
    }

    /** A partial product past 2^31 with a 0 axis later in the range is still 0 entries: PyTorch's (0,). */
    @Test
    void flattenOfAnEmptyTensorWhosePartialProductOverflows() {
        assertArrayEquals(new int[] {0}, new Flatten(0, -1).forward(Tensor.zeros(1 << 20, 1 << 20, 0)).shape());
        assertArrayEquals(new int[] {3, 0}, new Flatten(1, -1).forward(Tensor.zeros(3, 1 << 16, 1 << 16, 0)).shape());
    }

    /** A container cannot hold itself or an ancestor: the walks of the tree (parameters, toString) would never end. */
    @Test
    void aModuleCannotContainItself() {
        ModuleList l = new ModuleList();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.append(l));
        assertTrue(e.getMessage().startsWith("ModuleList: ") && e.getMessage().contains("itself"), e.getMessage());
        ModuleDict d = new ModuleDict();
        assertThrows(IllegalArgumentException.class, () -> d.put("me", d));
        l.append(d);
        e = assertThrows(IllegalArgumentException.class, () -> d.put("parent", l));
        assertTrue(e.getMessage().contains("contains this module"), e.getMessage());
        ModuleList outer = new ModuleList();
        outer.append(l);
        assertThrows(IllegalArgumentException.class, () -> d.put("grandparent", outer));
        assertEquals(0, outer.parameters().size(), "the refused cycles left a tree");
        d.put("shared", new Identity());
        outer.append(d); // a module used twice is no cycle
        assertEquals(2, outer.children().size());
    }
}
