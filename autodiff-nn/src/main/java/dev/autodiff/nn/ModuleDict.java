package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Modules held by name, in insertion order, as PyTorch's nn.ModuleDict: each is a registered submodule under
 * its key, so its parameters are found, trained and saved as "key.weight", and train() and eval() reach it. A
 * key is a non-empty string without '.', which separates the parts of a parameter's name (PyTorch refuses it
 * too). It has no forward of its own: calling it throws, as PyTorch's does. Modules can be added under new keys,
 * not replaced or removed (PyTorch's {@code dict[key] = m} replaces: not supported here).
 */
public final class ModuleDict extends Module {
    public ModuleDict() {}

    /** The entries of {@code modules}, in its iteration order (use a LinkedHashMap for a chosen order). */
    public ModuleDict(Map<String, ? extends Module> modules) {
        Objects.requireNonNull(modules, "ModuleDict: modules is null");
        modules.forEach(this::put);
    }

    /** Adds {@code module} under {@code key}, a key not yet present; returns this dict. */
    public ModuleDict put(String key, Module module) {
        Objects.requireNonNull(key, "ModuleDict: a key is null");
        Objects.requireNonNull(module, () -> "ModuleDict: the module for key '" + key + "' is null");
        if (key.isEmpty() || key.contains(".")) {
            throw new IllegalArgumentException("ModuleDict: key '" + key + "' must be non-empty and without '.', which "
                    + "separates the parts of a parameter's name ('key.weight')");
        }
        if (children().containsKey(key)) {
            throw new IllegalArgumentException("ModuleDict: key '" + key + "' is already present; replacing a module "
                    + "is not supported");
        }
        child(key, module);
        return this;
    }

    /** The module under {@code key}. */
    public Module get(String key) {
        Objects.requireNonNull(key, "ModuleDict: the key is null");
        Module m = children().get(key);
        if (m == null) {
            throw new IllegalArgumentException("ModuleDict: no module under key '" + key + "'; the keys are " + keys());
        }
        return m;
    }

    public boolean containsKey(String key) {
        return children().containsKey(key);
    }

    /** The keys, in insertion order. */
    public Set<String> keys() {
        return children().keySet();
    }

    /** The modules, in insertion order. */
    public List<Module> values() {
        return Collections.unmodifiableList(new ArrayList<>(children().values()));
    }

    public int size() {
        return children().size();
    }

    /** Throws: a ModuleDict does not know how its modules are to be combined (PyTorch: NotImplementedError). */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("ModuleDict: it has no forward of its own; call its modules by key, "
                + "e.g. dict.get(\"encoder\").forward(x)");
    }

    @Override
    public String describe() {
        return "ModuleDict(" + size() + ")";
    }
}
