"""PyTorch reference values for issue 16's selection ops (sort, topk, kthvalue, median) and einsum, in float64.

Run with Debian's PyTorch (apt-get install python3-torch), from the repository root:
    /usr/bin/python3 autodiff-core/src/test/resources/dev/autodiff/gen_selection_einsum.py
Writes torch_selection_einsum.txt beside this script, read by dev.autodiff.SelectionEinsumTorchTest, in the
format of gen_reductions.py: one line per array, "name d1,d2,... v1 v2 ...". Per case: the input x, a
cotangent r, a tangent v, the value y, the gradient of L = sum(y * r), J v (from J built row by row by
first-order reverse mode, so no forward-mode rule of PyTorch's is relied on) and H v of L; for selections also
the indices. An einsum of several operands takes one flat x, the operands' elements one after the other (the
Java case splits it the same way), so one input carries every operand's gradient, tangent and H v.
Ties: torch.sort(stable=True) documents its order and the cases test it; topk, kthvalue and median(dim) leave
the chosen index among ties unspecified (their CPU kernels use nth_element), so their cases have no ties,
except median() whose gradient PyTorch splits evenly among the tied elements (evenly_distribute_backward).
CI only reads the file.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixtures import Fixtures  # noqa: E402

fixtures = Fixtures(__file__, seed=1616)
put, case = fixtures.put, fixtures.case
nan = float("nan")


def dyadic(*shape):
    return torch.randint(-4, 5, shape).double() / 2


def sel(name, op, x):
    case(name, lambda t: op(t).values, x, lambda t: op(t).indices)


# ---- selection
distinct = torch.randn(3, 5)
ties = torch.tensor([[1.0, -0.5, 1.0, 2.0, -0.5, 1.0], [0.0, -0.0, 3.0, 0.0, -1.0, 3.0]])
with_nan = torch.tensor([[1.0, nan, -2.0, nan, 0.5], [3.0, -1.0, float("inf"), float("-inf"), 0.0]])
sel("sort_dim1", lambda t: torch.sort(t, 1), distinct)
sel("sort_dim0_desc", lambda t: torch.sort(t, 0, descending=True), torch.randn(4, 3))
sel("sort_stable_ties", lambda t: torch.sort(t, dim=-1, stable=True), ties)
sel("sort_stable_ties_desc", lambda t: torch.sort(t, dim=-1, descending=True, stable=True), ties)
sel("sort_stable_ties_dim0", lambda t: torch.sort(t, dim=0, stable=True), dyadic(6, 3))
sel("sort_nan", lambda t: torch.sort(t, dim=1, stable=True), with_nan)
sel("sort_nan_desc", lambda t: torch.sort(t, dim=1, descending=True, stable=True), with_nan)
long_ties = dyadic(3, 40)
long_ties[0, 5] = nan
long_ties[2, 17] = nan
long_ties[2, 33] = nan
long_ties[1, 8] = -0.0
sel("sort_long_ties", lambda t: torch.sort(t, dim=1, stable=True), long_ties)
sel("sort_long_ties_desc", lambda t: torch.sort(t, dim=1, descending=True, stable=True), long_ties)
sel("sort_long_dim0", lambda t: torch.sort(t, dim=0, stable=True), dyadic(70, 2))
sel("sort_rank3", lambda t: torch.sort(t, 1), torch.randn(2, 4, 3))
sel("sort_scalar", lambda t: torch.sort(t, 0), torch.tensor(1.5))
sel("topk_largest", lambda t: torch.topk(t, 3, 1), distinct)
sel("topk_smallest_dim0", lambda t: torch.topk(t, 2, 0, largest=False), torch.randn(4, 3))
sel("topk_all", lambda t: torch.topk(t, 5, -1), distinct)
sel("topk_nan", lambda t: torch.topk(t, 2, 1), torch.tensor([[1.0, nan, -2.0, 4.0], [3.0, -1.0, 0.5, 2.0]]))
sel("kthvalue_keep", lambda t: torch.kthvalue(t, 2, 1, keepdim=True), distinct)
sel("kthvalue_dim0", lambda t: torch.kthvalue(t, 4, 0), torch.randn(4, 3))
sel("kthvalue_nan", lambda t: torch.kthvalue(t, 3, 1), torch.tensor([[1.0, nan, -2.0, 4.0], [3.0, -1.0, 0.5, 2.0]]))
sel("median_dim_odd", lambda t: torch.median(t, 1), distinct)
sel("median_dim_even_keep", lambda t: torch.median(t, 0, keepdim=True), torch.randn(4, 3))
sel("median_dim_nan", lambda t: torch.median(t, 1), with_nan)
case("median_all_odd", torch.median, torch.randn(3, 3))
case("median_all_even", torch.median, torch.randn(2, 4))
case("median_all_ties", torch.median, torch.tensor([[0.5, 2.0, 0.5], [-1.0, 0.5, 3.0], [0.5, 7.0, -2.0]]))
case("median_all_nan", torch.median, torch.tensor([1.0, nan, 2.0, nan]))
case("median_all_inf_ties", torch.median, torch.tensor([float("inf"), float("inf"), 1.0, float("inf")]))

# ---- einsum: one flat x holds the operands


def ein(name, eq, *shapes):
    sizes = [int(torch.Size(s).numel()) for s in shapes]

    def f(flat):
        parts = torch.split(flat, sizes)
        return torch.einsum(eq, *[p.reshape(s) for p, s in zip(parts, shapes)])

    case(name, f, torch.randn(sum(sizes)))


ein("einsum_matmul", "ij,jk->ik", (2, 3), (3, 4))
ein("einsum_implicit_matmul", "ij,jk", (2, 3), (3, 4))
ein("einsum_implicit_upper_first", "Ba,aB", (2, 3), (3, 2))
ein("einsum_implicit_order", "bA,ab", (2, 3), (3, 2))
ein("einsum_batched", "bij,bjk->bik", (2, 3, 4), (2, 4, 2))
ein("einsum_transposed_a", "ji,jk->ik", (3, 2), (3, 4))
ein("einsum_transposed_b", "ij,kj->ik", (2, 3), (4, 3))
ein("einsum_batched_both_transposed", "bji,bkj->bik", (2, 3, 2), (2, 4, 3))
ein("einsum_ellipsis_broadcast", "...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2))
ein("einsum_implicit_ellipsis", "...ij,...jk", (2, 3, 4), (4, 2))
ein("einsum_ellipsis_summed", "...ij->ij", (2, 3, 4))
ein("einsum_ellipsis_middle", "i...j,j...->i...", (2, 3, 4), (4, 3))
ein("einsum_diag", "ii->i", (3, 3))
ein("einsum_trace", "ii", (4, 4))
ein("einsum_diag_3d", "iji->j", (3, 2, 3))
ein("einsum_diag_contract", "ii,ij->j", (3, 3), (3, 2))
ein("einsum_sum_all", "ij->", (3, 4))
ein("einsum_sum_axis", "ijk->ik", (2, 3, 4))
ein("einsum_transpose", "ijk->kij", (2, 3, 4))
ein("einsum_dot", "i,i", (5,), (5,))
ein("einsum_outer", "i,j->ij", (3,), (4,))
ein("einsum_scalar_operand", ",ij->ji", (), (2, 3))
ein("einsum_size1_broadcast", "ij,ij->ij", (2, 1), (2, 4))
ein("einsum_size1_contracted", "ij,jk->ik", (2, 1), (3, 4))
ein("einsum_chain3", "ij,jk,kl->il", (4, 2), (2, 5), (5, 3))
ein("einsum_chain4", "ab,bc,cd,de->ae", (3, 4), (4, 2), (2, 5), (5, 2))
ein("einsum_bilinear", "bn,anm,bm->ba", (2, 3), (4, 3, 2), (2, 2))
ein("einsum_three_shared", "ij,ij,ij->i", (2, 3), (2, 3), (2, 3))
ein("einsum_no_shared", "i,j,k->ijk", (2,), (3,), (2,))
ein("einsum_attention", "bhqd,bhkd->bhqk", (2, 2, 3, 4), (2, 2, 2, 4))
ein("einsum_spaces", " i j , j k -> k i ", (2, 3), (3, 2))

fixtures.write("torch_selection_einsum.txt")
