package dev.autodiff.nn.io;

import dev.autodiff.Tensor;
import dev.autodiff.nn.BatchNorm;
import dev.autodiff.nn.InstanceNorm;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.rnn.Cell;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A PyTorch {@code state_dict} in and out: {@link #load} reads what
 * {@code safetensors.torch.save_file(model.state_dict(), path)} wrote into the matching model here, and
 * {@link #save} writes a file that PyTorch's {@code model.load_state_dict(safetensors.torch.load_file(path),
 * strict=True)} accepts. Loading converts each tensor of the file (F64, F32, F16, BF16, I64, I32) to the dtype of
 * the model's tensor it fills (rounding to nearest into float32, exactly into float64), as {@code load_state_dict}'s
 * {@code tensor.copy_} does; saving writes each tensor in the model's dtype (F32 or F64), so a float32 model gives
 * the file a float32 PyTorch model has.
 *
 * <p>The names: a tensor's PyTorch name is its path here (as {@link Module#parameters()} and
 * {@link Module#buffers()} give it) with the module's own part renamed where this library's differs, and its
 * layout converted where it differs:
 * <ul>
 *   <li>{@link Linear}: {@code weight} is stored (in, out) here, (out, in) in PyTorch: transposed both ways.
 *   <li>the cells ({@code LstmCell}, {@code GruCell}, {@code RnnCell}): {@code weightIh}, {@code weightHh}
 *       (stored (in, G H) and (H, G H)) are PyTorch's {@code weight_ih}, {@code weight_hh} transposed, and
 *       {@code biasIh}, {@code biasHh} are {@code bias_ih}, {@code bias_hh}; the gate order is PyTorch's already.
 *   <li>{@link BatchNorm}, and {@link InstanceNorm} with {@code trackRunningStats}: the buffers {@code runningMean}, {@code runningVar} are {@code running_mean},
 *       {@code running_var}. PyTorch's {@code num_batches_tracked} is accepted and ignored on loading (it is used
 *       only with {@code momentum=None}, a cumulative average this library does not offer, and a file without it,
 *       as PyTorch before 0.4.1 wrote, loads too); saving writes it as 0 so that a strict load finds it.
 *   <li>everything else has PyTorch's names and layout already: {@code Conv1d/2d} (weight (O, C / groups, k...)),
 *       {@code ConvTranspose1d/2d} (weight (C, O / groups, k...)),
 *       {@code LayerNorm}, {@code GroupNorm}, {@code Embedding}, {@code PRelu} (weight), the sequence modules
 *       {@code Rnn}, {@code Lstm}, {@code Gru} ({@code weight_ih_l0}, ..., {@code _reverse}), and attention's
 *       {@code MultiheadAttention} ({@code in_proj_weight}, {@code out_proj.weight}, ...) and the
 *       {@code Transformer*Layer}s ({@code self_attn}, {@code linear1}, {@code norm1}, ...).
 * </ul>
 * The containers number their children as PyTorch's do: a {@code Sequential} of (Linear, activation, Linear) is
 * {@code "0.weight"}, {@code "2.weight"} in both (a parameter-free activation takes its index, as
 * {@code nn.ReLU()} does); {@code ModuleList} and {@code ModuleDict} likewise; a submodule registered as
 * {@code child("encoder", m)} is PyTorch's attribute {@code self.encoder = m}. {@code Mlp(sizes)} is
 * {@code "layers.0.weight", "layers.2.weight", ...}: a PyTorch module whose {@code self.layers} is that
 * {@code nn.Sequential}. For a model whose names differ otherwise, give a rename function: on loading it maps a
 * name in the file to the PyTorch-style name this model expects (null: skip that tensor); on saving it maps
 * this model's PyTorch-style name to the one to write (null: leave it out). {@link #names} lists the mapping.
 *
 * <p>Loading checks everything before it changes anything: every tensor missing from the file, every
 * unexpected one and every shape mismatch are named together in one IllegalArgumentException, as
 * {@link Checkpoints#load} does; a file that is not valid safetensors gives an IOException.
 */
public final class TorchWeights {
    private TorchWeights() {}

    /** One of the model's tensors under its PyTorch name; null {@code ours} for num_batches_tracked. */
    private record Binding(String torchName, String path, Tensor ours, boolean transpose) {
        int[] torchShape() {
            int[] s = ours.shape();
            return transpose ? new int[] {s[1], s[0]} : s;
        }
    }

    public static void load(Path path, Module model) throws IOException {
        load(path, model, Function.identity());
    }

    /**
     * Loads the file's tensors into {@code model}; {@code rename} maps each name in the file to the PyTorch-style
     * name of this model's tensor (null to skip the tensor).
     */
    public static void load(Path path, Module model, Function<String, String> rename) throws IOException {
        Objects.requireNonNull(path, "TorchWeights.load: path is null");
        Objects.requireNonNull(model, "TorchWeights.load: model is null");
        Objects.requireNonNull(rename, "TorchWeights.load: rename is null");
        Map<String, Tensor> stateDict = SafeTensors.load(path).tensors();
        loadStateDict("TorchWeights.load: " + path + ": ", model, stateDict, rename);
    }

    /**
     * Loads an in-memory state_dict (PyTorch's names and layouts) into {@code model}, as
     * {@code load_state_dict(strict=True)}; everything is checked before anything changes.
     */
    public static void loadStateDict(Module model, Map<String, Tensor> stateDict) {
        Objects.requireNonNull(model, "TorchWeights.loadStateDict: model is null");
        Objects.requireNonNull(stateDict, "TorchWeights.loadStateDict: stateDict is null");
        loadStateDict("TorchWeights.loadStateDict: ", model, stateDict, Function.identity());
    }

    private static void loadStateDict(String where, Module model, Map<String, Tensor> file, Function<String, String> rename) {
        Map<String, Binding> bindings = bindings(model);
        Map<String, Tensor> given = new LinkedHashMap<>(); // by the model's PyTorch names
        Map<String, String> fileName = new LinkedHashMap<>();
        TreeSet<String> unexpected = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : file.entrySet()) {
            String k = Objects.requireNonNull(e.getKey(), () -> where + "a tensor's name is null");
            Tensor t = Objects.requireNonNull(e.getValue(), () -> where + "tensor '" + k + "' is null");
            String name = rename.apply(k);
            if (name == null) {
                continue;
            }
            String shown = name.equals(k) ? "'" + k + "'" : "'" + k + "' (renamed '" + name + "')";
            if (!bindings.containsKey(name)) {
                unexpected.add(shown);
            } else if (fileName.containsKey(name)) {
                problems.add(String.format("%n  %s and '%s' are renamed to the same tensor", shown, fileName.get(name)));
            } else {
                given.put(name, t);
                fileName.put(name, k);
            }
        }
        TreeSet<String> missing = new TreeSet<>();
        StringBuilder shapes = new StringBuilder();
        Map<Tensor, String> sharedFrom = new IdentityHashMap<>();
        Map<Tensor, Tensor> values = new IdentityHashMap<>();
        for (Binding b : bindings.values()) {
            Tensor t = given.get(b.torchName);
            if (b.ours == null) { // num_batches_tracked: optional, ignored; a scalar when present
                if (t != null && t.rank() != 0) {
                    shapes.append(String.format("%n  '%s': file %s, expected a scalar []", b.torchName,
                            Arrays.toString(t.shape())));
                }
                continue;
            }
            if (t == null) {
                missing.add(b.torchName);
                continue;
            }
            int[] want = b.torchShape();
            if (!Arrays.equals(want, t.shape())) {
                shapes.append(String.format("%n  '%s': file %s, model %s%s", b.torchName, Arrays.toString(t.shape()),
                        Arrays.toString(want), b.transpose ? " (PyTorch's layout, the transpose of this library's "
                                + Arrays.toString(b.ours.shape()) + ")" : ""));
                continue;
            }
            Tensor v = b.transpose ? t.transpose(0, 1) : t;
            String first = sharedFrom.putIfAbsent(b.ours, b.torchName);
            if (first != null && !Arrays.equals(values.get(b.ours).toArray(), v.toArray())) {
                problems.add(String.format("%n  '%s' and '%s' are one shared tensor in the model but differ in the file",
                        first, b.torchName));
            }
            values.putIfAbsent(b.ours, v);
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || shapes.length() > 0 || !problems.isEmpty()) {
            throw new IllegalArgumentException(where + "does not match the model:"
                    + (missing.isEmpty() ? "" : "\n  missing tensors: " + missing)
                    + (unexpected.isEmpty() ? "" : "\n  unexpected tensors: " + unexpected)
                    + (shapes.length() == 0 ? "" : "\n  shape mismatches:" + shapes)
                    + String.join("", problems));
        }
        values.forEach(Tensor::assign);
    }

    public static void save(Path path, Module model) throws IOException {
        save(path, model, Function.identity());
    }

    /**
     * Writes the model's state_dict (PyTorch's names and layouts; F32 for a float32 tensor, F64 for a float64 one);
     * {@code rename} maps each PyTorch-style
     * name to the one written (null to leave the tensor out). Atomic, as {@link SafeTensors#save}.
     */
    public static void save(Path path, Module model, Function<String, String> rename) throws IOException {
        Objects.requireNonNull(path, "TorchWeights.save: path is null");
        Objects.requireNonNull(model, "TorchWeights.save: model is null");
        Objects.requireNonNull(rename, "TorchWeights.save: rename is null");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateDict(model).entrySet()) {
            String name = rename.apply(e.getKey());
            if (name != null && out.put(name, e.getValue()) != null) {
                throw new IllegalArgumentException("TorchWeights.save: two tensors are renamed to '" + name + "'");
            }
        }
        SafeTensors.save(path, out, null);
    }

    /**
     * The model's state_dict as PyTorch's would be for the same architecture: copies of its tensors, in PyTorch's
     * names, layouts and dtypes, in the model's order (num_batches_tracked written as 0).
     */
    public static Map<String, Tensor> stateDict(Module model) {
        Objects.requireNonNull(model, "TorchWeights.stateDict: model is null");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Binding b : bindings(model).values()) {
            if (b.ours == null) {
                out.put(b.torchName, Tensor.scalar(0));
            } else {
                Tensor t = b.transpose ? b.ours.transpose(0, 1) : b.ours;
                out.put(b.torchName, Tensor.fromArray(t.toArray(), t.shape()).to(t.dtype())); // its dtype kept
            }
        }
        return out;
    }

    /**
     * The mapping: each PyTorch name of the model's state_dict to this library's path of the tensor (as
     * parameters() and buffers() name it), with " (transposed)" where the layouts differ, and "(ignored)" for
     * num_batches_tracked.
     */
    public static Map<String, String> names(Module model) {
        Objects.requireNonNull(model, "TorchWeights.names: model is null");
        Map<String, String> out = new LinkedHashMap<>();
        bindings(model).forEach((n, b) -> out.put(n, b.ours == null ? "(ignored)" : b.path + (b.transpose ? " (transposed)" : "")));
        return out;
    }

    private static Map<String, Binding> bindings(Module model) {
        Map<String, Binding> out = new LinkedHashMap<>();
        walk(model, "", out);
        return out;
    }

    /** This module's own tensors (PyTorch's parameters first, then buffers, as its state_dict), then its children's. */
    private static void walk(Module m, String prefix, Map<String, Binding> out) {
        own(m.parameters()).forEach((n, t) -> bind(m, prefix, n, t, out));
        own(m.buffers()).forEach((n, t) -> bind(m, prefix, n, t, out));
        if (tracksRunningStats(m)) {
            out.put(prefix + "num_batches_tracked", new Binding(prefix + "num_batches_tracked", null, null, false));
        }
        m.children().forEach((n, c) -> walk(c, prefix + n + ".", out));
    }

    /** The entries of a module's recursive map that are its own: a submodule's names have a '.'. */
    private static Map<String, Tensor> own(Map<String, Tensor> all) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((n, t) -> {
            if (n.indexOf('.') < 0) {
                out.put(n, t);
            }
        });
        return out;
    }

    /** BatchNorm, and InstanceNorm with trackRunningStats: PyTorch's _NormBase, with running_mean/var and the count. */
    private static boolean tracksRunningStats(Module m) {
        return m instanceof BatchNorm || m instanceof InstanceNorm && m.buffers().containsKey("runningMean");
    }

    private static void bind(Module m, String prefix, String name, Tensor t, Map<String, Binding> out) {
        String torch = name;
        boolean transpose = false;
        if (m instanceof Linear && name.equals("weight")) {
            transpose = true;
        } else if (m instanceof Cell) {
            switch (name) {
                case "weightIh": torch = "weight_ih"; transpose = true; break;
                case "weightHh": torch = "weight_hh"; transpose = true; break;
                case "biasIh": torch = "bias_ih"; break;
                case "biasHh": torch = "bias_hh"; break;
                default: break;
            }
        } else if (tracksRunningStats(m)) {
            torch = name.equals("runningMean") ? "running_mean" : name.equals("runningVar") ? "running_var" : name;
        }
        out.put(prefix + torch, new Binding(prefix + torch, prefix + name, t, transpose));
    }
}
