"""PyTorch reference values for issue 16's SVD family (dev.autodiff.Linalg.svd, svdvals, pinv, matrixNorm,
vectorNorm), in float64.

Run from the repository root: /usr/bin/python3 autodiff-core/src/test/resources/dev/autodiff/gen_linalg_svd.py
Writes torch_linalg_svd.txt beside this script, read by dev.autodiff.LinalgSvdTorchTest, in the format of
gen_linalg.py: per case x, r, v, y = f(x), the gradient of sum(y * r), J v and the Hessian-vector product of
sum(y * r). Singular vectors are unique only up to a sign per pair, so the cases that read them use functions
invariant under those signs: |U|, |Vh|, U diag(exp(S)) Vh, the projector U_k U_k^T.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixtures import Fixtures  # noqa: E402

fixtures = Fixtures(__file__, seed=1617)
put, case = fixtures.put, fixtures.case


L = torch.linalg
SHAPES = {"square": (3, 3), "tall": (4, 3), "wide": (3, 5), "batched": (2, 4, 3)}


def usv(x, full=False):  # U diag(exp(S)) Vh: invariant under the sign of each singular pair
    u, s, vh = L.svd(x, full_matrices=full)
    k = s.shape[-1]
    return (u[..., :k] * s.exp().unsqueeze(-2)) @ vh[..., :k, :]


for nm, shape in SHAPES.items():
    case("svdvals_" + nm, lambda x: L.svdvals(x), torch.randn(shape))
    case("svd_s_" + nm, lambda x: L.svd(x)[1], torch.randn(shape))
    case("svd_absu_" + nm, lambda x: L.svd(x, full_matrices=False)[0].abs(), torch.randn(shape))
    case("svd_absvh_" + nm, lambda x: L.svd(x, full_matrices=False)[2].abs(), torch.randn(shape))
    case("svd_usv_" + nm, lambda x: usv(x), torch.randn(shape))
# full_matrices: the first k columns of U (rows of Vh) are those of the reduced SVD; the rest get no gradient
case("svd_full_usv_tall", lambda x: usv(x, True), torch.randn(4, 2))
case("svd_full_usv_wide", lambda x: usv(x, True), torch.randn(2, 4))
case("svd_full_absu_tall", lambda x: L.svd(x)[0][..., :2].abs(), torch.randn(4, 2))
case("svd_full_absvh_wide", lambda x: L.svd(x)[2][..., :2, :].abs(), torch.randn(2, 4))
case("svd_projector_tall", lambda x: (lambda u: u @ u.mT)(L.svd(x)[0][..., :2]), torch.randn(5, 3))

for nm, shape in SHAPES.items():
    case("pinv_" + nm, lambda x: L.pinv(x), torch.randn(shape))
# rank 2 (4 x 3 = B C, B 4 x 2, C 2 x 3): rtol 1e-8 so that the rounding-level third singular value is cut
case("pinv_rank_deficient", lambda x: L.pinv(x[:, :2] @ x[:2, 2:], rtol=1e-8), torch.randn(4, 5))
case("pinv_rank_deficient_wide", lambda x: L.pinv((x[:, :2] @ x[:2, 2:]).mT, rtol=1e-8), torch.randn(4, 5))
case("pinv_hermitian", lambda x: L.pinv(x + x.mT, hermitian=True), torch.randn(2, 3, 3))

inf = float("inf")
for ordname, ord in (("fro", "fro"), ("nuc", "nuc"), ("2", 2), ("m2", -2), ("1", 1), ("m1", -1), ("inf", inf), ("minf", -inf)):
    case("matrix_norm_" + ordname, lambda x, ord=ord: L.matrix_norm(x, ord), torch.randn(2, 3, 4))
    case("matrix_norm_dims_" + ordname, lambda x, ord=ord: L.matrix_norm(x, ord, dim=(2, 0), keepdim=True), torch.randn(3, 2, 4))
case("matrix_norm_default", lambda x: L.matrix_norm(x), torch.randn(3, 5))

for ordname, ord in (("2", 2), ("1", 1), ("inf", inf), ("minf", -inf), ("0", 0), ("3", 3), ("half", 0.5), ("m1", -1), ("1p5", 1.5)):
    case("vector_norm_" + ordname, lambda x, ord=ord: L.vector_norm(x, ord), torch.randn(3, 4))
    case("vector_norm_dims_" + ordname, lambda x, ord=ord: L.vector_norm(x, ord, dim=(0, 2), keepdim=True), torch.randn(2, 3, 4))

fixtures.write("torch_linalg_svd.txt")
