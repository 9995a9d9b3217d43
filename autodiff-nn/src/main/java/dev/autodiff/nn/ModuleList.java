package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Modules held in a list, as PyTorch's nn.ModuleList: each is a registered submodule named by its position, so
 * its parameters are found, trained and saved as "0.weight", "1.bias", ..., and train() and eval() reach it. It
 * has no forward of its own (how the modules are combined is the owner's choice): calling it throws, as
 * PyTorch's does. Modules can be appended, not replaced or removed.
 *
 * <pre>{@code
 * ModuleList blocks = new ModuleList(new Linear(8, 8, 1), new Linear(8, 8, 2));
 * for (Module m : blocks) { x = m.forward(x).tanh(); }
 * }</pre>
 */
public final class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    public ModuleList(Module... modules) {
        Objects.requireNonNull(modules, "ModuleList: modules is null");
        for (Module m : modules) {
            append(m);
        }
    }

    public ModuleList(Iterable<? extends Module> modules) {
        extend(modules);
    }

    /** Adds a module at the end, named by its index; returns this list. */
    public ModuleList append(Module module) {
        Objects.requireNonNull(module, () -> "ModuleList: module " + modules.size() + " is null");
        modules.add(child(Integer.toString(modules.size()), module));
        return this;
    }

    /** Appends each module in order; returns this list. */
    public ModuleList extend(Iterable<? extends Module> more) {
        Objects.requireNonNull(more, "ModuleList: the modules to add are null");
        for (Module m : more) {
            append(m);
        }
        return this;
    }

    /** The module at {@code index}; a negative index counts from the end, as in Python. */
    public Module get(int index) {
        int n = modules.size();
        if (index < -n || index >= n) {
            throw new IndexOutOfBoundsException("ModuleList: index " + index + " is out of range for " + n + " modules");
        }
        return modules.get(index < 0 ? index + n : index);
    }

    public int size() {
        return modules.size();
    }

    public boolean isEmpty() {
        return modules.isEmpty();
    }

    /** The modules in order (the list cannot be changed through it). */
    @Override
    public Iterator<Module> iterator() {
        return Collections.unmodifiableList(modules).iterator();
    }

    /** Throws: a ModuleList does not know how its modules are to be combined (PyTorch: NotImplementedError). */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("ModuleList: it has no forward of its own; call its modules, e.g. "
                + "for (Module m : list) x = m.forward(x), or use Sequential to apply them in order");
    }

    @Override
    public String describe() {
        return "ModuleList(" + modules.size() + ")";
    }
}
