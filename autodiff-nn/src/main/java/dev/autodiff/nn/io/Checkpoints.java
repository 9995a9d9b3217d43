package dev.autodiff.nn.io;

import dev.autodiff.Tensor;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A module's parameters and buffers (such as batch norm's running statistics) and, optionally, its optimizer's
 * state, in one safetensors file: parameters and buffers as "model.NAME" (as in PyTorch's state_dict), optimizer state as "optimizer.SLOT.I", and the optimizer's class, parameter count, step
 * count and learning rate in the metadata. Saving is atomic and leaves no temporary file (see
 * {@link SafeTensors}); a file that is not valid safetensors gives an IOException. Loading checks every
 * name and shape, and the optimizer's kind, parameter count and state, before changing anything, and an
 * IllegalArgumentException says exactly what does not match.
 *
 * <p>Loading with an optimizer replaces its whole state, as PyTorch's {@code load_state_dict} does:
 * moment buffers, step count and learning rate all come from the file, and a parameter without state in
 * the file has none after the load (as it had none when the file was saved). Loading with a null
 * optimizer loads the model only.
 *
 * <p>Dtypes: each tensor is saved in its own dtype (F32 for a float32 model, F64 for a float64 one; the step counts
 * are float64 scalars). Loading converts whatever the file holds (F64, F32, F16, BF16) to the dtype of the model's
 * tensor it fills, and optimizer state to its parameter's dtype, as PyTorch's {@code load_state_dict} does: a
 * float64 checkpoint loads into a float32 model (rounded to nearest) and a float32 one into a float64 model (exactly).
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final String MODEL = "model.";
    private static final String OPTIM = "optimizer.";
    private static final String EXTRA = "extra.";
    private static final String FORMAT = "autodiff-checkpoint-1";

    public static void save(Path path, Module model, Optimizer optimizer) throws IOException {
        save(path, model, optimizer, Map.of());
    }

    /**
     * Saves with {@code extra} string metadata of the caller's (a training loop's epoch, its history), which
     * {@link #load} returns. Keys and values must be non-null.
     */
    public static void save(Path path, Module model, Optimizer optimizer, Map<String, String> extra) throws IOException {
        Objects.requireNonNull(path, "Checkpoints.save: path is null");
        Objects.requireNonNull(extra, "Checkpoints.save: extra is null");
        Objects.requireNonNull(model, "Checkpoints.save: model is null");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        modelState(model).forEach((n, p) -> tensors.put(MODEL + n, p));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        if (optimizer != null) {
            optimizer.state().forEach((n, t) -> tensors.put(OPTIM + n, t));
            meta.put("optimizer", optimizer.getClass().getSimpleName());
            meta.put("optimizer.params", Integer.toString(optimizer.paramCount()));
            meta.put("optimizer.steps", Integer.toString(optimizer.stepCount()));
            meta.put("optimizer.lr", Double.toString(optimizer.lr()));
        }
        extra.forEach((k, v) -> meta.put(EXTRA + Objects.requireNonNull(k, "Checkpoints.save: an extra key is null"),
                Objects.requireNonNull(v, () -> "Checkpoints.save: extra '" + k + "' is null")));
        SafeTensors.save(path, tensors, meta);
    }

    /**
     * Loads into {@code model} and {@code optimizer} (null: the model only) and returns the extra metadata the
     * save was given (empty if none); everything is checked before anything changes.
     */
    public static Map<String, String> load(Path path, Module model, Optimizer optimizer) throws IOException {
        Objects.requireNonNull(path, "Checkpoints.load: path is null");
        Objects.requireNonNull(model, "Checkpoints.load: model is null");
        SafeTensors.Contents c = SafeTensors.load(path);
        String where = "Checkpoints.load: " + path + ": ";
        String format = c.metadata().get("format");
        if (format != null && !format.equals(FORMAT)) {
            throw new IllegalArgumentException(where + "format '" + format + "' is not " + FORMAT + ", the one this library reads");
        }
        Map<String, Tensor> params = modelState(model);
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
            } else if (k.startsWith(OPTIM)) {
                state.put(k.substring(OPTIM.length()), e.getValue());
            } else {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || shapes.length() > 0) {
            throw new IllegalArgumentException(where + "does not match the model:"
                    + (missing.isEmpty() ? "" : "\n  missing parameters or buffers: " + missing)
                    + (unexpected.isEmpty() ? "" : "\n  unexpected tensors: " + unexpected)
                    + (shapes.length() == 0 ? "" : "\n  shape mismatches:" + shapes));
        }
        if (optimizer != null) {
            String mine = optimizer.getClass().getSimpleName();
            String kind = c.metadata().get("optimizer");
            if (kind == null) {
                throw new IllegalArgumentException(where + "holds no optimizer state (it was saved without an optimizer); "
                        + "load it with a null optimizer to load only the model");
            }
            if (!mine.equals(kind)) {
                throw new IllegalArgumentException(where + "holds the state of optimizer " + kind + ", not " + mine);
            }
            String count = c.metadata().get("optimizer.params");
            if (count != null && !count.equals(Integer.toString(optimizer.paramCount()))) {
                throw new IllegalArgumentException(where + "holds the state of an optimizer over " + count
                        + " parameters; this " + mine + " has " + optimizer.paramCount());
            }
            int steps = (int) integer(where, c.metadata(), "optimizer.steps", Integer.MAX_VALUE);
            double lr = learningRate(where, c.metadata().get("optimizer.lr"));
            try {
                optimizer.loadState(state, steps); // checks everything before it changes anything
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "the optimizer state does not fit: " + e.getMessage(), e);
            }
            optimizer.setLr(lr);
        }
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            e.getValue().assign(c.tensors().get(MODEL + e.getKey()));
        }
        Map<String, String> extra = new LinkedHashMap<>();
        c.metadata().forEach((k, v) -> {
            if (k.startsWith(EXTRA)) {
                extra.put(k.substring(EXTRA.length()), v);
            }
        });
        return extra;
    }

    /** The extra metadata a checkpoint was saved with (empty if none), read without loading anything. */
    public static Map<String, String> extra(Path path) throws IOException {
        Objects.requireNonNull(path, "Checkpoints.extra: path is null");
        Map<String, String> extra = new LinkedHashMap<>();
        SafeTensors.load(path).metadata().forEach((k, v) -> {
            if (k.startsWith(EXTRA)) {
                extra.put(k.substring(EXTRA.length()), v);
            }
        });
        return extra;
    }

    /** The parameters and buffers, by path: what a checkpoint holds of the model. */
    private static Map<String, Tensor> modelState(Module model) {
        Map<String, Tensor> all = new LinkedHashMap<>(model.parameters());
        all.putAll(model.buffers());
        return all;
    }

    private static long integer(String where, Map<String, String> meta, String key, long max) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + "has optimizer state but no " + key);
        }
        if (!v.matches("0|[1-9][0-9]{0,18}") || Long.parseLong(v) > max) {
            throw new IllegalArgumentException(where + key + " is '" + v + "', expected an integer in [0, " + max + "]");
        }
        return Long.parseLong(v);
    }

    private static double learningRate(String where, String v) {
        if (v == null) {
            throw new IllegalArgumentException(where + "has optimizer state but no optimizer.lr");
        }
        double lr = v.matches("[0-9]+(\\.[0-9]+)?([eE]-?[0-9]+)?") ? Double.parseDouble(v) : Double.NaN;
        if (!(lr >= 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(where + "optimizer.lr is '" + v + "', expected a finite number >= 0");
        }
        return lr;
    }
}
