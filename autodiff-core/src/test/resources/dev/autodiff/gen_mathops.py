"""PyTorch reference values for issue 16's elementwise math ops, in float64.

Run with Debian's PyTorch (apt-get install python3-torch), from the repository root:
    /usr/bin/python3 autodiff-core/src/test/resources/dev/autodiff/gen_mathops.py
Writes torch_mathops.txt beside this script, read by dev.autodiff.MathOpsTorchTest. One line per array,
"name d1,d2,... v1 v2 ..." (an empty shape field: a scalar), as torch_reductions.txt.

Two kinds of entries:
- cases (random inputs in each op's domain, broadcasting for the binary ops): the inputs x0 (x1), a cotangent
  r and tangents v0 (v1), written so that Java uses the same numbers; the value y; the gradients g0 (g1) of
  L = sum(y * r); J v (from the Jacobian built by first-order reverse mode, so no forward-mode rule of PyTorch's
  is relied on); and H v of L (h0, h1) from PyTorch's double backward.
- special points (poles, signed zeros, infinities, NaN) per op: s.<op>.x0 (x1), the value y, the first
  derivatives d0 (d1) (the gradient of sum(y)), and the second derivatives e0 (e1) (the gradient of
  sum(d0 + d1)). CI only reads the file.
"""
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixtures import Fixtures  # noqa: E402

fixtures = Fixtures(__file__, seed=1616)
put = fixtures.put
inf = float("inf")
nan = float("nan")


def grads(y, xs, **kw):
    gs = torch.autograd.grad(y, xs, allow_unused=True, **kw)
    return [torch.zeros(x.shape) if g is None else g for g in gs]


def case(name, f, *xs):
    xs = [x.clone() for x in xs]
    y = f(*xs)
    r = torch.randn(y.shape)
    vs = [torch.randn(x.shape) for x in xs]
    for i, x in enumerate(xs):
        put(f"{name}.x{i}", x)
        put(f"{name}.v{i}", vs[i])
    put(name + ".r", r)
    put(name + ".y", y)
    leaves = [x.clone().requires_grad_(True) for x in xs]
    gs = grads((f(*leaves) * r).sum(), leaves, create_graph=True)
    for i, g in enumerate(gs):
        put(f"{name}.g{i}", g)
    jac = torch.autograd.functional.jacobian(f, tuple(xs))
    jv = sum(j.reshape(y.numel(), x.numel()) @ v.reshape(-1) for j, x, v in zip(jac, xs, vs))
    put(name + ".jvp", jv.reshape(y.shape))
    dot = sum((g * v).sum() for g, v in zip(gs, vs))
    hs = grads(dot, leaves) if dot.requires_grad else [torch.zeros(x.shape) for x in xs]
    for i, h in enumerate(hs):
        put(f"{name}.h{i}", h)


def special(name, f, *xs):
    xs = [torch.tensor(x) for x in xs]
    leaves = [x.clone().requires_grad_(True) for x in xs]
    y = f(*leaves)
    put(f"s.{name}.y", y)
    ds = grads(y.sum(), leaves, create_graph=True)
    for i, x in enumerate(xs):
        put(f"s.{name}.x{i}", x)
        put(f"s.{name}.d{i}", ds[i])
    total = sum(d.sum() for d in ds)
    es = grads(total, leaves) if total.requires_grad else [torch.zeros(x.shape) for x in xs]
    for i, e in enumerate(es):
        put(f"s.{name}.e{i}", e)


def uniform(lo, hi, *shape):
    return torch.rand(*shape) * (hi - lo) + lo


# ---- random cases in each op's domain
case("sin", torch.sin, torch.randn(3, 4) * 3)
case("cos", torch.cos, torch.randn(3, 4) * 3)
case("tan", torch.tan, uniform(-1.4, 1.4, 3, 4))
case("asin", torch.asin, uniform(-0.95, 0.95, 3, 4))
case("acos", torch.acos, uniform(-0.95, 0.95, 3, 4))
case("atan", torch.atan, torch.randn(3, 4) * 3)
case("sinh", torch.sinh, torch.randn(3, 4) * 3)
case("cosh", torch.cosh, torch.randn(3, 4) * 3)
case("asinh", torch.asinh, torch.randn(3, 4) * 5)
case("acosh", torch.acosh, 1 + torch.randn(3, 4).exp())
case("atanh", torch.atanh, uniform(-0.95, 0.95, 3, 4))
case("log1p", torch.log1p, uniform(-0.9, 3, 3, 4))
case("log1p_tiny", torch.log1p, torch.randn(5) * 1e-12)
case("expm1", torch.expm1, torch.randn(3, 4) * 3)
case("expm1_tiny", torch.expm1, torch.randn(5) * 1e-12)
case("log2", torch.log2, (torch.randn(3, 4) * 3).exp())
case("log10", torch.log10, (torch.randn(3, 4) * 3).exp())
case("exp2", torch.exp2, torch.randn(3, 4) * 4)
case("rsqrt", torch.rsqrt, uniform(0.2, 4, 3, 4))
case("floor", torch.floor, torch.randn(3, 4) * 3)
case("ceil", torch.ceil, torch.randn(3, 4) * 3)
case("round", torch.round, torch.randn(3, 4) * 3)
case("trunc", torch.trunc, torch.randn(3, 4) * 3)
case("atan2", torch.atan2, torch.randn(3, 4), torch.randn(3, 4))
case("atan2_broadcast", torch.atan2, torch.randn(3, 1), torch.randn(4))
case("hypot", torch.hypot, torch.randn(3, 4), torch.randn(3, 4))
case("hypot_broadcast", torch.hypot, torch.randn(4), torch.randn(2, 1, 4))
case("logaddexp", torch.logaddexp, torch.randn(3, 4) * 3, torch.randn(3, 4) * 3)
case("logaddexp_broadcast", torch.logaddexp, torch.randn(3, 1) * 3, torch.randn(1, 4) * 3)
case("logaddexp_huge", torch.logaddexp, torch.tensor([1000.0, -1000.0, 800.0, 1e300, -700.0]),
     torch.tensor([999.0, -1000.5, -800.0, 1e300, -700.0]))
xz = torch.randn(3, 4)
xz[0, 1] = 0.0
xz[2, 2] = 0.0
case("xlogy", torch.xlogy, xz, uniform(0.1, 3, 3, 4))
case("xlogy_broadcast", torch.xlogy, torch.randn(2, 3), uniform(0.1, 3, 3))
# a composition, so that second derivatives of several new ops meet
case("composite", lambda a, b: torch.logaddexp(torch.sin(a) * torch.atan(b), torch.hypot(a, b).log1p())
     + torch.xlogy(a.cos(), b.cosh()), torch.randn(3, 4), torch.randn(4))

# ---- special points
z = [0.0, -0.0]
special("sin", torch.sin, z + [inf, -inf, nan, 1e-300, math.pi])
special("cos", torch.cos, z + [inf, -inf, nan, math.pi])
special("tan", torch.tan, z + [inf, -inf, nan, 1e-300])
special("asin", torch.asin, z + [1.0, -1.0, 1.5, -1.5, inf, nan, 1e-300])
special("acos", torch.acos, z + [1.0, -1.0, 1.5, -1.5, inf, nan])
special("atan", torch.atan, z + [inf, -inf, nan, 1e300, -1e300])
special("sinh", torch.sinh, z + [inf, -inf, nan, 711.0, -711.0, 1e-300])  # 710: see MathOpsTest
special("cosh", torch.cosh, z + [inf, -inf, nan, 711.0, -711.0])
special("asinh", torch.asinh, z + [inf, -inf, nan, 1e-300, 1e10, -1e10, 1e300])
special("acosh", torch.acosh, [1.0, 0.5, 0.0, -1.0, -2.0, inf, -inf, nan, 1e300, 1 + 2 ** -52])
special("atanh", torch.atanh, z + [1.0, -1.0, 2.0, -2.0, inf, nan, 1e-300, 1 - 2 ** -53])
special("log1p", torch.log1p, z + [-1.0, -1.5, inf, -inf, nan, 1e-300, -1e-300, 1e300])
special("expm1", torch.expm1, z + [inf, -inf, nan, 1e-300, 709.0, 710.0, -800.0])
special("log2", torch.log2, z + [-1.0, inf, -inf, nan, 1.0, 8.0, 0.125, 2.0 ** -1074, 2.0 ** 1023, 1 - 2 ** -53])
special("log10", torch.log10, z + [-1.0, inf, -inf, nan, 1.0, 1000.0, 1e-300, 1e300])
special("exp2", torch.exp2, z + [inf, -inf, nan, 10.0, -1074.0, 1024.0, -1075.0, 0.5])
special("rsqrt", torch.rsqrt, z + [-1.0, inf, -inf, nan, 4.0, 1e-300])
for op in ("floor", "ceil", "round", "trunc"):
    special(op, getattr(torch, op), z + [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, inf, -inf, nan, 1e300, 0.49999999999999994])
a2 = [0.0, -0.0, 0.0, -0.0, 1.0, -1.0, inf, inf, -inf, nan, 0.0, 1e-300, 1e300]
b2 = [0.0, 0.0, -0.0, -0.0, 0.0, -0.0, inf, -inf, 2.0, 1.0, nan, -1e-300, 1e300]
special("atan2", torch.atan2, a2, b2)
special("hypot", torch.hypot, a2, b2)
# PyTorch's second derivatives are NaN where e^(b - a) overflows (its double backward of grad / (1 + exp(b - a)));
# MathOpsTorchTest.OURS holds our values there (the limit, 0) and checks that PyTorch's are still NaN
special("logaddexp", torch.logaddexp, [inf, -inf, inf, -inf, nan, 1000.0, 1e308, -1e308, 0.0, 710.0, -750.0],
        [inf, -inf, -inf, 3.0, 1.0, 1000.0, -1e308, -1e308, -0.0, 709.0, -750.0])
special("xlogy", torch.xlogy, [0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 1.0, 1.0, -2.0, nan, 2.0, 0.0, 1.0],
        [0.0, 2.0, -1.0, nan, inf, 0.0, 0.0, -1.0, inf, 1.0, 1.0, -inf, 1e-300])

fixtures.write("torch_mathops.txt")
