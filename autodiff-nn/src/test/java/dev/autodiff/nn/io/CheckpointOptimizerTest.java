package dev.autodiff.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Lambda;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.Sequential;
import dev.autodiff.nn.optim.Adadelta;
import dev.autodiff.nn.optim.Adam;
import dev.autodiff.nn.optim.NAdam;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.Sgd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Optimizer state through {@link Optimizer#loadState} and {@link Checkpoints}: the whole state is replaced, or nothing. */
class CheckpointOptimizerTest {
    @TempDir
    Path dir;

    private static Sequential model(long seed) {
        return new Sequential(new Linear(3, 5, seed), new Lambda("tanh", Tensor::tanh), new Linear(5, 2, seed + 2));
    }

    /** Trains with MSE on fixed data; parameters whose name starts with {@code frozen} get no gradient. */
    private static double train(Module m, Optimizer opt, int steps, String frozen) {
        Tensor x = Tensor.randn(1, 8, 3);
        Tensor y = Tensor.randn(2, 8, 2);
        double loss = 0;
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            Tensor l = Losses.mse(m.forward(x), y);
            l.backward();
            m.parameters().forEach((n, p) -> {
                if (frozen != null && n.startsWith(frozen)) {
                    p.setGrad(null);
                }
            });
            opt.step();
            loss = l.item();
        }
        return loss;
    }

    private static void assertSameParameters(Module a, Module b, String where) {
        for (String name : a.parameters().keySet()) {
            assertArrayEquals(a.parameters().get(name).toArray(), b.parameters().get(name).toArray(), where + ": " + name);
        }
    }

    /** Everything a load could change: parameters, optimizer state, step count and learning rate. */
    private static String snapshot(Module m, Optimizer opt) {
        StringBuilder s = new StringBuilder();
        new TreeMap<>(m.parameters()).forEach((n, p) -> s.append(n).append(Arrays.toString(p.toArray())).append('\n'));
        if (opt != null) {
            opt.state().forEach((n, t) -> s.append(n).append(Arrays.toString(t.toArray())).append('\n'));
            s.append(opt.stepCount()).append(' ').append(opt.lr());
        }
        return s.toString();
    }

    // ------------------------------------------------------------------------------------------- round trips

    @Test
    void resumingFromACheckpointContinuesExactlyAsWithoutStopping() throws IOException {
        Sequential a = model(1);
        Adam optA = new Adam(a.parameters().values(), 0.01);
        train(a, optA, 5, null);
        optA.setLr(0.003); // as a schedule would
        Path ckpt = dir.resolve("run.safetensors");
        Checkpoints.save(ckpt, a, optA);
        double straight = train(a, optA, 5, null);

        Sequential b = model(99); // different initial values, overwritten by the load
        Adam optB = new Adam(b.parameters().values(), 0.01);
        Checkpoints.load(ckpt, b, optB);
        assertEquals(5, optB.stepCount());
        assertEquals(0.003, optB.lr(), "the learning rate is part of the state, as in PyTorch's load_state_dict");
        assertEquals(straight, train(b, optB, 5, null), 0.0);
        assertSameParameters(a, b, "after resuming");
    }

    /** Adadelta's state, under PyTorch's slot names, goes through a file too. */
    @Test
    void adadeltaResumesFromACheckpoint() throws IOException {
        Sequential a = model(1);
        Adadelta optA = new Adadelta(a.parameters().values(), 0.5, 0.8, 1e-3, 0.1);
        train(a, optA, 4, null);
        assertTrue(optA.state().containsKey("square_avg.0") && optA.state().containsKey("acc_delta.3"), optA.state().keySet().toString());
        Path ckpt = dir.resolve("adadelta.safetensors");
        Checkpoints.save(ckpt, a, optA);
        double straight = train(a, optA, 4, null);

        Sequential b = model(42); // different initial values, overwritten by the load
        Adadelta optB = new Adadelta(b.parameters().values(), 0.5, 0.8, 1e-3, 0.1);
        Checkpoints.load(ckpt, b, optB);
        assertEquals(4, optB.stepCount());
        assertEquals(straight, train(b, optB, 4, null), 0.0);
        assertSameParameters(a, b, "after resuming");
    }

    /**
     * NAdam's mu_product is one number per parameter (a 0-dim tensor, as PyTorch's): it goes through a file, and a
     * load refuses one of the parameter's shape.
     */
    @Test
    void nadamResumesFromACheckpointWithItsScalarSlot() throws IOException {
        Sequential a = model(1);
        NAdam optA = new NAdam(a.parameters().values(), 0.01, 0.9, 0.999, 1e-8, 0.05, 0.01);
        train(a, optA, 4, null);
        assertEquals(0, optA.state().get("mu_product.2").rank(), optA.state().keySet().toString());
        Path ckpt = dir.resolve("nadam.safetensors");
        Checkpoints.save(ckpt, a, optA);
        double straight = train(a, optA, 4, null);

        Sequential b = model(42);
        NAdam optB = new NAdam(b.parameters().values(), 0.01, 0.9, 0.999, 1e-8, 0.05, 0.01);
        Checkpoints.load(ckpt, b, optB);
        assertEquals(straight, train(b, optB, 4, null), 0.0);
        assertSameParameters(a, b, "after resuming");

        Map<String, Tensor> bad = new LinkedHashMap<>(optB.state());
        bad.put("mu_product.1", Tensor.ones(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> optB.loadState(bad, optB.stepCount()));
        assertTrue(e.getMessage().contains("state 'mu_product.1' has shape [5] but mu_product of parameter 1 has shape []"),
                e.getMessage());
    }

    // ------------------------------------------------------------------------------------------- optimizer state

    @Test
    void loadingAFileWithoutSomeParametersStateResetsThatState() throws IOException {
        // A trains with its second layer frozen, so it has no state for "2.*" when it saves
        Sequential a = model(1);
        Adam optA = new Adam(a.parameters().values(), 0.01);
        train(a, optA, 3, "2.");
        assertEquals(List.of("m.0", "m.1", "step.0", "step.1", "v.0", "v.1"), List.copyOf(optA.state().keySet()));
        Path ckpt = dir.resolve("frozen.safetensors");
        Checkpoints.save(ckpt, a, optA);

        // B has trained everything, for longer: state for every parameter, from another time
        Sequential b = model(7);
        Adam optB = new Adam(b.parameters().values(), 0.05);
        train(b, optB, 6, null);
        Checkpoints.load(ckpt, b, optB);
        assertEquals(optA.state().keySet(), optB.state().keySet(), "the whole state is replaced");
        assertEquals(3, optB.stepCount());

        // the oracle: both go on training everything, and stay identical
        double la = train(a, optA, 4, null);
        double lb = train(b, optB, 4, null);
        assertEquals(la, lb, 0.0);
        assertSameParameters(a, b, "after unfreezing");
    }

    @Test
    void loadStateOfStateRestoresExactlyAndCopies() {
        Sequential a = model(1);
        Sgd opt = new Sgd(a.parameters().values(), 0.1, 0.9, false, 0);
        train(a, opt, 2, null);
        Map<String, Tensor> saved = new LinkedHashMap<>();
        opt.state().forEach((n, t) -> saved.put(n, Tensor.fromArray(t.toArray(), t.shape())));
        String before = snapshot(a, opt);
        Sequential b = model(1);
        b.parameters().forEach((n, p) -> p.assign(a.parameters().get(n)));
        Sgd other = new Sgd(b.parameters().values(), 0.1, 0.9, false, 0);
        other.loadState(saved, 2);
        saved.values().forEach(t -> t.assign(Tensor.zeros(t.shape())));
        assertEquals(before, snapshot(b, other), "loaded, and not aliased to the map's tensors");
        train(a, opt, 3, null);
        train(b, other, 3, null);
        assertSameParameters(a, b, "after resuming from loadState");
    }

    @Test
    void aRefusedLoadStateChangesNothing() {
        Sequential m = model(1);
        Adam opt = new Adam(m.parameters().values(), 0.01);
        train(m, opt, 2, null);
        String before = snapshot(m, opt);
        Map<String, Tensor> good = opt.state();
        Tensor w = Tensor.zeros(m.parameters().get("0.weight").shape());
        Object[][] bad = {
            {without(good, "v.1"), 2, "parameter 1 has state [m.1] but not [v.1]; a parameter's slots exist together"},
            {without(good, "step.1"), 2, "parameter 1 has state [m.1, v.1] but no step.1"},
            {with(good, "step.0", Tensor.scalar(3)), 2, "step.0 is 3, more than the step count 2"},
            {with(good, "step.0", Tensor.scalar(1.5)), 2, "state 'step.0' must be a 0-dim whole number >= 1"},
            {with(good, "step.0", Tensor.ones(1)), 2, "state 'step.0' must be a 0-dim whole number >= 1"},
            {good, 0, "with a step count of 0; state exists only after a step"},
            {good, -1, "negative step count -1"},
            {with(good, "m.01", w), 2, "unexpected state 'm.01'"},
            {with(good, "m.-1", w), 2, "unexpected state 'm.-1'"},
            {with(good, "m.99999999999", w), 2, "unexpected state 'm.99999999999'"},
            {with(good, "m.4", w), 2, "unexpected state 'm.4'; Adam has slots [m, step, v] and 4 parameters"},
            {with(good, "momentum.0", w), 2, "unexpected state 'momentum.0'"},
            {with(good, "m", w), 2, "unexpected state 'm'"},
            {with(good, "m.0.0", w), 2, "unexpected state 'm.0.0'"},
            {with(good, "m.1", w), 2, "state 'm.1' has shape [3, 5] but parameter 1 has shape [5]"},
        };
        for (Object[] c : bad) {
            @SuppressWarnings("unchecked")
            Map<String, Tensor> state = (Map<String, Tensor>) c[0];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadState(state, (int) c[1]),
                    (String) c[2]);
            assertTrue(e.getMessage().startsWith("Adam.loadState: ") && e.getMessage().contains((String) c[2]), e.getMessage());
            assertEquals(before, snapshot(m, opt), "nothing changed by: " + c[2]);
        }
        Map<String, Tensor> nullValue = new LinkedHashMap<>(good);
        nullValue.put("m.0", null);
        assertThrows(NullPointerException.class, () -> opt.loadState(nullValue, 2));
        assertThrows(NullPointerException.class, () -> opt.loadState(null, 2));
        assertEquals(before, snapshot(m, opt));
        opt.loadState(Map.of(), 0); // the state of a new optimizer
        assertEquals(Map.of(), opt.state());
        assertEquals(0, opt.stepCount());
    }

    private static Map<String, Tensor> without(Map<String, Tensor> m, String key) {
        Map<String, Tensor> out = new LinkedHashMap<>(m);
        out.remove(key);
        return out;
    }

    private static Map<String, Tensor> with(Map<String, Tensor> m, String key, Tensor t) {
        Map<String, Tensor> out = new LinkedHashMap<>(m);
        out.put(key, t);
        return out;
    }

    // ------------------------------------------------------------------------------------------- checkpoint checks

    @Test
    void mismatchesAreReportedExactlyAndNothingIsLoaded() throws IOException {
        Path ckpt = dir.resolve("m.safetensors");
        Checkpoints.save(ckpt, model(1), null);
        Sequential other = new Sequential(new Linear(3, 4, 5), new Lambda("tanh", Tensor::tanh), new Linear(4, 2, 6),
                new Linear(2, 2, 7));
        String before = snapshot(other, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(ckpt, other, null));
        assertTrue(e.getMessage().startsWith("Checkpoints.load: " + ckpt + ": does not match the model"), e.getMessage());
        assertTrue(e.getMessage().contains("missing parameters or buffers: [3.bias, 3.weight]"), e.getMessage());
        assertTrue(e.getMessage().contains("'0.weight': checkpoint [3, 5], model [3, 4]"), e.getMessage());
        assertEquals(before, snapshot(other, null), "nothing loaded");

        Sequential same = model(3);
        Sgd sgd = new Sgd(same.parameters().values(), 0.1);
        Checkpoints.save(ckpt, model(1), new Adam(model(1).parameters().values(), 0.1));
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(ckpt, same, sgd));
        assertTrue(e2.getMessage().contains("holds the state of optimizer Adam, not Sgd"), e2.getMessage());

        Checkpoints.save(ckpt, model(1), null);
        Adam adam = new Adam(same.parameters().values(), 0.1);
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(ckpt, same, adam));
        assertTrue(e3.getMessage().contains("holds no optimizer state (it was saved without an optimizer)"), e3.getMessage());
    }

    @Test
    void badOptimizerMetadataIsRefusedAndNothingIsLoaded() throws IOException {
        Sequential src = model(1);
        Adam srcOpt = new Adam(src.parameters().values(), 0.01);
        train(src, srcOpt, 2, null);
        Path ckpt = dir.resolve("c.safetensors");
        Checkpoints.save(ckpt, src, srcOpt);
        SafeTensors.Contents c = SafeTensors.load(ckpt);

        Sequential m = model(5);
        Adam opt = new Adam(m.parameters().values(), 0.02);
        train(m, opt, 4, null);
        String before = snapshot(m, opt);
        String[][] cases = {
            {"optimizer.steps", null, "has optimizer state but no optimizer.steps"},
            {"optimizer.steps", "+2", "optimizer.steps is '+2', expected an integer in [0, 2147483647]"},
            {"optimizer.steps", "\u0662", "optimizer.steps is '\u0662'"},
            {"optimizer.steps", "2147483648", "optimizer.steps is '2147483648'"},
            {"optimizer.steps", "0", "the optimizer state does not fit: Adam.loadState: state"},
            {"optimizer.lr", null, "has optimizer state but no optimizer.lr"},
            {"optimizer.lr", "NaN", "optimizer.lr is 'NaN', expected a finite number >= 0"},
            {"optimizer.lr", "-0.1", "optimizer.lr is '-0.1'"},
            {"optimizer.lr", "1e999", "optimizer.lr is '1e999'"},
            {"optimizer.params", "5", "holds the state of an optimizer over 5 parameters; this Adam has 4"},
            {"format", "autodiff-checkpoint-2", "format 'autodiff-checkpoint-2' is not autodiff-checkpoint-1"},
        };
        for (String[] k : cases) {
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            if (k[1] == null) {
                meta.remove(k[0]);
            } else {
                meta.put(k[0], k[1]);
            }
            Path p = dir.resolve("edited.safetensors");
            SafeTensors.save(p, c.tensors(), meta);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(p, m, opt),
                    k[2]);
            assertTrue(e.getMessage().startsWith("Checkpoints.load: " + p + ": ") && e.getMessage().contains(k[2]),
                    e.getMessage());
            assertEquals(before, snapshot(m, opt), "nothing changed by: " + k[2]);
        }
    }


    /** Buffers are model state: batch norm's running statistics survive a checkpoint, so eval gives the same output. */
    @Test
    void buffersAreSavedAndLoaded() throws IOException {
        Sequential a = new Sequential(new Linear(3, 4, 1), new dev.autodiff.nn.BatchNorm1d(4));
        Sequential b = new Sequential(new Linear(3, 4, 1), new dev.autodiff.nn.BatchNorm1d(4));
        Tensor x = Tensor.randn(5, 6, 3);
        for (int i = 0; i < 3; i++) {
            a.forward(x.mul(i + 1.0)); // training mode: the running statistics move
        }
        Path ckpt = dir.resolve("bn.safetensors");
        Checkpoints.save(ckpt, a, null);
        Checkpoints.load(ckpt, b, null);
        a.buffers().forEach((n, t) -> assertArrayEquals(t.toArray(), b.buffers().get(n).toArray(), 0.0, n));
        assertEquals(2, a.buffers().size(), "running mean and variance: " + a.buffers().keySet());
        a.eval();
        b.eval();
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray(), 0.0);
        // a file without the buffers does not fit the model
        Path paramsOnly = dir.resolve("params.safetensors");
        SafeTensors.save(paramsOnly, new LinkedHashMap<>(prefixed(a.parameters())), Map.of("format", "autodiff-checkpoint-1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(paramsOnly, b, null));
        assertTrue(e.getMessage().contains("running"), e.getMessage());
    }

    private static Map<String, Tensor> prefixed(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((n, t) -> out.put("model." + n, t));
        return out;
    }
}
