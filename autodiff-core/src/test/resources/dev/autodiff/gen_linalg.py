"""PyTorch reference values for issue 16's linear algebra (dev.autodiff.Linalg), in float64.

Run from the repository root: /usr/bin/python3 autodiff-core/src/test/resources/dev/autodiff/gen_linalg.py
Writes torch_linalg.txt beside this script, read by dev.autodiff.LinalgTorchTest, in the format of
gen_reductions.py (its header says what each array is). Each case is a function of one tensor x from which
A (made well conditioned or positive definite) and B are built, so gradients with respect to both are covered.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixtures import Fixtures  # noqa: E402

fixtures = Fixtures(__file__, seed=1616)
put, case = fixtures.put, fixtures.case


def well(x, n):  # A = x[..., :n] + n I
    return x[..., :n] + n * torch.eye(n)


def spd(x, n):  # A = M M^T + I
    m = x[..., :n]
    return m @ m.transpose(-2, -1) + torch.eye(n)


L = torch.linalg
case("solve", lambda x: L.solve(well(x, 3), x[..., 3:]), torch.randn(3, 5))
case("solve_batched", lambda x: L.solve(well(x, 3), x[..., 3:]), torch.randn(2, 3, 4))
case("solve_vector", lambda x: L.solve(well(x, 3), x[..., 3]), torch.randn(2, 3, 4))
case("solve_right", lambda x: L.solve(well(x[:3], 3), x[3:, :3], left=False), torch.randn(5, 3))
case("solve_broadcast", lambda x: L.solve(well(x[0, :, :3], 3), x[..., 3:]), torch.randn(2, 3, 5))
for up in (True, False):
    for left in (True, False):
        for unit in (True, False):
            nm = f"solve_triangular_{'u' if up else 'l'}{'L' if left else 'R'}{'1' if unit else ''}"
            if left:
                f = lambda x, up=up, unit=unit: L.solve_triangular(well(x, 3), x[..., 3:], upper=up, left=True, unitriangular=unit)
                case(nm, f, torch.randn(2, 3, 5))
            else:
                f = lambda x, up=up, unit=unit: L.solve_triangular(well(x[..., :3, :], 3), x[..., 3:, :], upper=up, left=False, unitriangular=unit)
                case(nm, f, torch.randn(2, 5, 3))
case("inv", lambda x: L.inv(well(x, 3)), torch.randn(3, 3))
case("inv_batched", lambda x: L.inv(well(x, 4)), torch.randn(2, 4, 4))
case("cholesky", lambda x: L.cholesky(spd(x, 3)), torch.randn(3, 3))
case("cholesky_batched", lambda x: L.cholesky(spd(x, 4)), torch.randn(2, 4, 4))
case("cholesky_upper", lambda x: L.cholesky(spd(x, 3), upper=True), torch.randn(3, 3))
case("det", lambda x: L.det(x), torch.randn(3, 3))
case("det_batched", lambda x: L.det(x), torch.randn(2, 4, 4))
case("logabsdet", lambda x: L.slogdet(x)[1], torch.randn(2, 3, 3))

fixtures.write("torch_linalg.txt")
