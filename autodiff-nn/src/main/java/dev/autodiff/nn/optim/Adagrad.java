package dev.autodiff.nn.optim;

import dev.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Adagrad as torch.optim.Adagrad: s = s + g^2, p = p - lr g / (sqrt(s) + eps). */
public final class Adagrad extends Optimizer {
    private final double eps;
    private final List<Tensor> sums = new ArrayList<>();

    public Adagrad(Collection<Tensor> params, double lr) {
        this(params, lr, 1e-10);
    }

    public Adagrad(Collection<Tensor> params, double lr, double eps) {
        super(Hyper.params("Adagrad", params), lr);
        this.eps = Hyper.nonNegative("Adagrad", "eps", eps);
    }

    @Override
    protected java.util.Map<String, List<Tensor>> slots() {
        return java.util.Map.of("sum", sums);
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        Tensor s = state(sums, i, p);
        s.addInPlace(g.square(), 1.0);
        p.addInPlace(g.div(s.sqrt().add(eps)), -lr);
    }
}
