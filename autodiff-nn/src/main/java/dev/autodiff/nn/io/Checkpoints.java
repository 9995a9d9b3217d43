package dev.autodiff.nn.io;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A module's parameters and, optionally, its optimizer's state, in one safetensors file: parameters as
 * "model.NAME", optimizer state as "optimizer.SLOT.I", and the optimizer's class, step count and learning
 * rate in the metadata. Saving is atomic (see {@link SafeTensors}); loading checks every name, shape and
 * the optimizer's kind before changing anything, and says exactly what does not match.
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final String MODEL = "model.";
    private static final String OPTIM = "optimizer.";

    public static void save(Path path, Module model, Optimizer optimizer) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.parameters().forEach((n, p) -> tensors.put(MODEL + n, p));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "autodiff-checkpoint-1");
        if (optimizer != null) {
            optimizer.state().forEach((n, t) -> tensors.put(OPTIM + n, t));
            meta.put("optimizer", optimizer.getClass().getSimpleName());
            meta.put("optimizer.steps", Integer.toString(optimizer.stepCount()));
            meta.put("optimizer.lr", Double.toString(optimizer.lr()));
        }
        SafeTensors.save(path, tensors, meta);
    }

    public static void load(Path path, Module model, Optimizer optimizer) throws IOException {
        SafeTensors.Contents c = SafeTensors.load(path);
        Map<String, Tensor> params = model.parameters();
        Map<String, Tensor> state = new LinkedHashMap<>();
        TreeSet<String> missing = new TreeSet<>(params.keySet());
        TreeSet<String> unexpected = new TreeSet<>();
        StringBuilder shapes = new StringBuilder();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL) && params.containsKey(k.substring(MODEL.length()))) {
                String name = k.substring(MODEL.length());
                missing.remove(name);
                int[] want = params.get(name).shape();
                if (!Arrays.equals(want, e.getValue().shape())) {
                    shapes.append(String.format("%n  '%s': checkpoint %s, model %s", name, Arrays.toString(e.getValue().shape()),
                            Arrays.toString(want)));
                }
            } else if (k.startsWith(OPTIM) && optimizer != null) {
                state.put(k.substring(OPTIM.length()), e.getValue());
            } else if (!k.startsWith(OPTIM)) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || shapes.length() > 0) {
            throw new IllegalArgumentException("checkpoint " + path + " does not match the model:"
                    + (missing.isEmpty() ? "" : "\n  missing parameters: " + missing)
                    + (unexpected.isEmpty() ? "" : "\n  unexpected tensors: " + unexpected)
                    + (shapes.length() == 0 ? "" : "\n  shape mismatches:" + shapes));
        }
        int steps = 0;
        if (optimizer != null) {
            String kind = c.metadata().get("optimizer");
            if (!optimizer.getClass().getSimpleName().equals(kind)) {
                throw new IllegalArgumentException("checkpoint " + path + " holds the state of optimizer " + kind
                        + ", not " + optimizer.getClass().getSimpleName());
            }
            try {
                steps = Integer.parseInt(c.metadata().getOrDefault("optimizer.steps", "0"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checkpoint " + path + ": bad optimizer.steps "
                        + c.metadata().get("optimizer.steps"));
            }
        }
        // everything matched: now change the model (and the optimizer, which validates its own entries first)
        if (optimizer != null) {
            optimizer.loadState(state, steps);
        }
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            e.getValue().assign(c.tensors().get(MODEL + e.getKey()));
        }
    }
}
