"""PyTorch reference values for issue 16's reductions, scans and movement ops, in float64.

Run with Debian's PyTorch (apt-get install python3-torch), from the repository root:
    /usr/bin/python3 autodiff-core/src/test/resources/dev/autodiff/gen_reductions.py
Writes torch_reductions.txt beside this script, read by dev.autodiff.ReductionsMovementTorchTest. One line
per array, "name d1,d2,... v1 v2 ..." (an empty shape field: a scalar), as autodiff-nn's fixtures. For each
case: the input x, a cotangent r and a tangent v (written, so Java uses the same numbers), the value y, the
gradient of L = sum(y * r), J v, and the Hessian-vector product H v of L where PyTorch's double backward is
right (the case list below says where it is not). J v is computed from first-order reverse mode only
(J row by row), so it relies on no forward-mode rule of PyTorch's. CI only reads the file.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixtures import Fixtures  # noqa: E402

fixtures = Fixtures(__file__, seed=16)
put, case = fixtures.put, fixtures.case


def dyadic(*shape):
    # small numbers with few bits, so that exact ties, zeros and equal rows can be placed by hand
    return torch.randint(-8, 9, shape).double() / 4


def prod_axes(x, dims, keepdim):
    # torch.prod takes one dim: move the reduced ones last and flatten them
    keep = [d for d in range(x.dim()) if d not in dims]
    y = x.permute(keep + list(dims)).reshape([x.shape[d] for d in keep] + [-1]).prod(-1)
    if keepdim:
        y = y.reshape([1 if d in dims else x.shape[d] for d in range(x.dim())])
    return y


zero_rows = torch.randn(3, 4)
zero_rows[1, 2] = 0.0
zero_rows[2, 0] = 0.0
zero_rows[2, 3] = 0.0
equal_row = torch.randn(3, 4)
equal_row[1] = 1.25
cumprod_zeros = torch.randn(3, 5)
cumprod_zeros[0, 2] = 0.0
cumprod_zeros[1, 0] = 0.0
cumprod_zeros[1, 3] = 0.0
ties = torch.tensor([[3.0, -3.0, 1.0, 0.5], [0.0, 0.0, 0.0, 0.0], [-2.0, 1.5, 2.0, -0.25]])
big = torch.tensor([[300.0, 299.0, -300.0, 301.0, -1000.0, 0.5], [-5.0, 2.0, -7.0, 30.0, 29.5, -40.0]])

case("var_all", lambda x: x.var(), torch.randn(3, 4))
case("var_axis_c0_keep", lambda x: x.var(1, correction=0, keepdim=True), torch.randn(3, 4))
case("var_axes_neg", lambda x: x.var((0, -1)), torch.randn(2, 3, 4))
case("var_c2", lambda x: x.var(1, correction=2), torch.randn(3, 5))
case("std_all", lambda x: x.std(), torch.randn(3, 4))
case("std_axis_keep", lambda x: x.std(0, keepdim=True), torch.randn(3, 4))
case("std_zero_variance_row", lambda x: x.std(1), equal_row)
case("prod_all", lambda x: x.prod(), torch.randn(2, 3) + 0.5)
case("prod_axis_zeros", lambda x: x.prod(1), zero_rows)
case("prod_all_one_zero", lambda x: x.prod(), zero_rows[:2])
case("prod_axes_keep", lambda x: prod_axes(x, (0, 2), True), torch.randn(2, 3, 2))
case("cumsum_axis1", lambda x: x.cumsum(1), torch.randn(3, 5))
case("cumsum_neg_axis", lambda x: x.cumsum(-1), torch.randn(2, 3, 4))
case("cumsum_axis0", lambda x: x.cumsum(0), torch.randn(4, 3))
case("cumprod_zeros", lambda x: x.cumprod(1), cumprod_zeros)
case("cumprod_axis0", lambda x: x.cumprod(0), torch.randn(6, 2))
case("logcumsumexp", lambda x: x.logcumsumexp(1), torch.randn(3, 7) * 3)
case("logcumsumexp_extreme", lambda x: x.logcumsumexp(-1), big)
case("norm2_all", lambda x: torch.linalg.vector_norm(x), torch.randn(3, 4))
case("norm2_axis_keep", lambda x: torch.linalg.vector_norm(x, 2, 1, True), torch.randn(3, 4))
case("norm_fro", lambda x: torch.linalg.vector_norm(x, 2, (-2, -1)), torch.randn(2, 3, 4))
case("norm1_axis", lambda x: torch.linalg.vector_norm(x, 1, 1), ties)
case("norminf_axis", lambda x: torch.linalg.vector_norm(x, float("inf"), 1), ties)
case("normneginf_axis", lambda x: torch.linalg.vector_norm(x, float("-inf"), 0), torch.randn(3, 4))
# at the zero row PyTorch's double backward of the 2-norm is NaN (ours 0): no hvp recorded
case("norm2_zero_row", lambda x: torch.linalg.vector_norm(x, 2, 1), ties, hvp=False)
case("flip", lambda x: x.flip(0, -1), torch.randn(2, 3, 4))
case("roll", lambda x: x.roll((1, -2), (0, 2)), torch.randn(2, 3, 4))
case("roll_flat", lambda x: x.roll(4), torch.randn(2, 3))
case("repeat", lambda x: x.repeat(2, 1, 3), torch.randn(2, 3))
case("tile", lambda x: x.tile((2,)), torch.randn(2, 3))
case("repeat_interleave", lambda x: x.repeat_interleave(2, 1), torch.randn(2, 3))
case("repeat_interleave_counts", lambda x: x.repeat_interleave(torch.tensor([2, 0, 1]), 0), torch.randn(3, 2))
case("repeat_interleave_flat", lambda x: x.repeat_interleave(3), torch.randn(2, 2))
case("tril", lambda x: x.tril(-1), torch.randn(2, 3, 4))
case("triu", lambda x: x.triu(1), torch.randn(2, 3, 4))
case("diag_vector", lambda x: torch.diag(x, 1), torch.randn(3))
case("diag_vector_below", lambda x: torch.diag(x, -2), torch.randn(3))
case("diag_matrix", lambda x: torch.diag(x, 1), torch.randn(3, 4))
case("diagonal", lambda x: torch.diagonal(x, -1, 0, 2), torch.randn(3, 2, 4))
case("trace", lambda x: torch.trace(x), torch.randn(3, 4))
case("chunk", lambda x: torch.cat([c * (i + 1) for i, c in enumerate(x.chunk(3, 1))], 1), torch.randn(2, 5))
case("split", lambda x: torch.cat([c * (i + 1) for i, c in enumerate(x.split([1, 3], 0))], 0), torch.randn(4, 2))
mask = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
case("masked_fill", lambda x: x.masked_fill(mask.bool(), -2.5), torch.randn(3, 4))
# all/any are constant masks; their values only
allany = torch.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, float("nan")]])
put("all_any.x", allany)
put("all_any.all0", allany.all(0).double())
put("all_any.any1", allany.any(1).double())
put("all_any.all", allany.all().double())

fixtures.write("torch_reductions.txt")
