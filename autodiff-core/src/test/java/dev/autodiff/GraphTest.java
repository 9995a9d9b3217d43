package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GraphTest {
    @Test
    void textbookListingShowsTheSixStepsWithGradientsAndLocalDerivatives() {
        Tensor x = Tensor.scalar(1.0);
        Tensor w = Tensor.scalar(0.0).requiresGrad();
        Tensor b = Tensor.scalar(0.0).requiresGrad();
        Tensor f = x.mul(w).add(b).neg().exp().add(1.0).reciprocal();
        Graph g = Graph.of(f).name(x, "x").name(w, "w").name(b, "b");
        f.backward();

        List<String> expressions = g.steps().stream().map(s -> s.name() + " = " + s.expression()).collect(Collectors.toList());
        assertEquals(List.of("h1 = x * w", "h2 = h1 + b", "h3 = -h2", "h4 = exp(h3)", "h5 = h4 + 1", "h6 = 1 / h5"), expressions);

        // values and gradients derived by hand at x=1, w=b=0: h4 = 1, h5 = 2, f = 1/2, df/dh5 = -1/4, df/dh1 = 1/4
        double[] values = {0, 0, 0, 1, 2, 0.5};
        double[] grads = {0.25, 0.25, -0.25, -0.25, -0.25, 1};
        for (int i = 0; i < 6; i++) {
            Graph.Step s = g.steps().get(i);
            assertEquals(values[i], s.value().item(), 1e-15, s.name());
            assertEquals(grads[i], s.grad().item(), 1e-15, s.name());
        }
        // local derivatives: dh1/dw = x = 1, dh1/dx = w = 0, dh3/dh2 = -1, dh4/dh3 = e^0, dh6/dh5 = -1/h5^2
        assertEquals(1.0, g.steps().get(0).localDerivative(1).item());
        assertEquals(0.0, g.steps().get(0).localDerivative(0).item());
        assertEquals(-1.0, g.steps().get(2).localDerivative(0).item());
        assertEquals(1.0, g.steps().get(3).localDerivative(0).item());
        assertEquals(-0.25, g.steps().get(5).localDerivative(0).item());

        String listing = g.toString();
        assertTrue(listing.contains("h6   = 1 / h5"), listing);
        assertTrue(listing.contains("dh1/dw = 1"), listing);
        assertTrue(listing.contains("w    (input, needs grad)"), listing);
        assertTrue(listing.lines().filter(l -> l.startsWith("h")).count() == 6, listing);
    }

    @Test
    void dotExportHasANodePerTensorAndAnEdgePerInput() {
        Tensor a = Tensor.scalar(2).requiresGrad();
        Tensor y = a.mul(a).exp();
        Graph g = Graph.of(y).name(a, "a");
        String dot = g.toDot();
        assertTrue(dot.startsWith("digraph autodiff {"), dot);
        assertEquals(3, dot.lines().filter(l -> l.contains("label=\"") && l.contains("shape=")).count(), dot);
        assertEquals(3, dot.lines().filter(l -> l.contains("->")).count(), dot);
        assertTrue(dot.contains("h1 = a * a"), dot);
    }

    @Test
    void graphOfAFreedGraphExplainsWhatToDo() {
        Tensor a = Tensor.scalar(2).requiresGrad();
        Tensor y = a.exp();
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Graph.of(y));
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void nonScalarStepsShowTheirShape() {
        Tensor a = Tensor.ones(2, 3).requiresGrad();
        Tensor y = a.matmul(Tensor.ones(3, 1)).sum();
        Graph g = Graph.of(y);
        y.backward();
        assertEquals("matmul", g.steps().get(0).op());
        assertTrue(g.toString().contains("[2, 1]"), g.toString());
    }
}
