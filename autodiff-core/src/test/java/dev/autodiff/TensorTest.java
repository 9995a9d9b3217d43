package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void factoriesAndAccessors() {
        Tensor s = Tensor.scalar(2.5);
        assertEquals(0, s.rank());
        assertEquals(1, s.size());
        assertEquals(2.5, s.item());
        Tensor t = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertEquals(6.0, t.get(1, 2));
        assertEquals(3, t.dim(-1));
        assertArrayEquals(new double[] {0, 0}, Tensor.zeros(2).toArray());
        assertArrayEquals(new double[] {1, 1, 1}, Tensor.ones(3).toArray());
        assertArrayEquals(new double[] {7, 7}, Tensor.full(7, 1, 2).toArray());
        assertArrayEquals(new double[] {0, 1, 2}, Tensor.arange(3).toArray());
        assertArrayEquals(new double[] {1, 0.5, 0}, Tensor.arange(1, -0.25, -0.5).toArray());
        assertArrayEquals(new double[] {1, 0, 0, 1}, Tensor.eye(2).toArray());
        assertArrayEquals(new int[] {0, 4}, Tensor.zeros(0, 4).shape());
        assertEquals(0, Tensor.zeros(0, 4).size());
    }

    @Test
    void valuesAreImmutableCopies() {
        double[] d = {1, 2};
        Tensor t = Tensor.fromArray(d);
        d[0] = 99;
        assertEquals(1.0, t.get(0));
        t.toArray()[1] = 99;
        assertEquals(2.0, t.get(1));
        int[] shape = t.shape();
        shape[0] = 5;
        assertArrayEquals(new int[] {2}, t.shape());
        assertNotSame(t.shape(), t.shape());
    }

    @Test
    void randomFactoriesAreSeeded() {
        assertArrayEquals(Tensor.randn(42, 5).toArray(), Tensor.randn(42, 5).toArray());
        assertFalse(java.util.Arrays.equals(Tensor.randn(42, 5).toArray(), Tensor.randn(43, 5).toArray()));
        for (double v : Tensor.rand(1, 100).toArray()) {
            assertTrue(v >= 0 && v < 1);
        }
    }

    @Test
    void toStringShowsShapeValuesAndOp() {
        assertEquals("tensor([[1, 2.5], [-3, 0.125]], shape=[2, 2])",
                Tensor.fromArray(new double[] {1, 2.5, -3, 0.125}, 2, 2).toString());
        assertEquals("tensor(0.5, shape=[], requiresGrad)", Tensor.scalar(0.5).requiresGrad().toString());
        assertTrue(Tensor.scalar(1).requiresGrad().exp().toString().endsWith("op=exp)"));
        assertEquals("tensor([1e-10, 12345.7], shape=[2])", Tensor.fromArray(new double[] {1e-10, 12345.678}).toString());
    }

    @Test
    void toStringAbbreviatesLargeTensors() {
        String s = Tensor.arange(2000).reshape(2, 1000).toString();
        assertEquals("tensor([[0, 1, 2, ..., 997, 998, 999], [1000, 1001, 1002, ..., 1997, 1998, 1999]], shape=[2, 1000])", s);
    }

    @Test
    void broadcastingFollowsNumPy() {
        Tensor a = Tensor.fromArray(new double[] {1, 2, 3}, 3, 1);
        Tensor b = Tensor.fromArray(new double[] {10, 20}, 2);
        assertArrayEquals(new double[] {11, 21, 12, 22, 13, 23}, a.add(b).toArray());
        assertArrayEquals(new int[] {3, 2}, a.add(b).shape());
    }

    @Test
    void movementOpsMatchHandValues() {
        Tensor t = Tensor.arange(6).reshape(2, 3);
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, t.transpose(0, 1).toArray());
        assertArrayEquals(new double[] {1, 2, 4, 5}, t.slice(1, 1, 3).toArray());
        assertArrayEquals(new double[] {0, 2, 3, 5}, t.slice(1, 0, 3, 2).toArray());
        assertArrayEquals(new double[] {0, 1, 2, 9, 3, 4, 5, 9}, Tensor.concat(1, t, Tensor.full(9, 2, 1)).toArray());
        assertArrayEquals(new double[] {3, 4, 5, 0, 1, 2, 3, 4, 5}, t.indexSelect(0, 1, 0, 1).toArray());
        assertArrayEquals(new double[] {2, 0, 3, 3}, t.gather(1, Tensor.fromArray(new double[] {2, 0, 0, 0}, 2, 2)).toArray());
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0},
                t.pad(new int[] {1, 0}, new int[] {0, 1}, 0).toArray());
        assertArrayEquals(new double[] {7, 0, 1, 2, 7, 3, 4, 5}, t.pad(new int[] {0, 1}, new int[] {0, 0}, 7).toArray());
        assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, Tensor.stack(0, Tensor.arange(3), Tensor.arange(3)).toArray());
        assertArrayEquals(new double[] {1, 10, 1, 1, 20, 1},
                Tensor.ones(2, 3).indexAdd(1, new int[] {1}, Tensor.fromArray(new double[] {9, 19}, 2, 1)).toArray());
        assertArrayEquals(new double[] {3, 5, 7}, t.sum(0).toArray());
        assertArrayEquals(new double[] {3, 12}, t.sum(1).toArray());
        assertArrayEquals(new double[] {2, 5}, t.max(1).toArray());
        assertEquals(2.5, t.mean().item());
    }

    @Test
    void unfoldMatchesHandIm2col() {
        // 1 x 1 x 3 x 3 image 0..8, 2x2 kernel, stride 1: four columns
        Tensor x = Tensor.arange(9).reshape(1, 1, 3, 3);
        Tensor cols = x.unfold(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1});
        assertArrayEquals(new int[] {1, 4, 4}, cols.shape());
        assertArrayEquals(new double[] {0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8}, cols.toArray());
        // fold sums overlapping blocks: the centre pixel appears in all four
        Tensor back = cols.fold(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1});
        assertArrayEquals(new double[] {0, 2, 2, 6, 16, 10, 6, 14, 8}, back.toArray());
        // padding reads zeros
        Tensor padded = Tensor.ones(1, 1, 1, 1).unfold(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1});
        assertArrayEquals(new double[] {0, 0, 0, 0, 1, 0, 0, 0, 0}, padded.toArray());
    }

    @Test
    void convolutionAsUnfoldAndMatmulMatchesDirectSum() {
        Tensor x = Tensor.randn(1, 2, 3, 5, 6);
        Tensor w = Tensor.randn(2, 4, 3, 3, 2);
        Tensor cols = x.unfold(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2});
        Tensor y = w.reshape(4, -1).matmul(cols); // (2, 4, L)
        int oh = (5 + 2 - 3) / 2 + 1;
        int ow = (6 - 2 * 1 - 1) / 1 + 1;
        assertArrayEquals(new int[] {2, 4, oh * ow}, y.shape());
        for (int n = 0; n < 2; n++) {
            for (int o = 0; o < 4; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = 0;
                        for (int c = 0; c < 3; c++) {
                            for (int ki = 0; ki < 3; ki++) {
                                for (int kj = 0; kj < 2; kj++) {
                                    int r = i * 2 - 1 + ki;
                                    int q = j + kj * 2;
                                    if (r >= 0 && r < 5 && q >= 0 && q < 6) {
                                        s += w.get(o, c, ki, kj) * x.get(n, c, r, q);
                                    }
                                }
                            }
                        }
                        assertEquals(s, y.get(n, o, i * ow + j), 1e-12);
                    }
                }
            }
        }
    }

    @Test
    void tiesShareTheGradientEvenly() {
        Tensor x = Tensor.fromArray(new double[] {1, 3, 3, 2}).requiresGrad();
        x.max().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, x.grad().toArray());
        Tensor y = Tensor.fromArray(new double[] {-1, -1, 0}).requiresGrad();
        y.min().backward();
        assertArrayEquals(new double[] {0.5, 0.5, 0}, y.grad().toArray());
        Tensor a = Tensor.fromArray(new double[] {1, 2}).requiresGrad();
        Tensor b = Tensor.fromArray(new double[] {1, 0}).requiresGrad();
        a.maximum(b).sum().backward();
        assertArrayEquals(new double[] {0.5, 1}, a.grad().toArray());
        assertArrayEquals(new double[] {0.5, 0}, b.grad().toArray());
    }

    @Test
    void argmaxAndArgminGiveTheFirstExtremumAsTorch() {
        // rows: a tie (first wins), a NaN (NaN counts as the extremum), plain
        Tensor x = Tensor.fromArray(new double[] {3, 1, 3, 0, 2, Double.NaN, 5, 7, -1}, 3, 3);
        assertArrayEquals(new double[] {0, 2, 1}, x.argmax(1).toArray());
        assertArrayEquals(new double[] {1, 2, 2}, x.argmin(1).toArray());
        assertArrayEquals(new double[] {2, 2, 1}, x.argmax(0).toArray());
        assertArrayEquals(new int[] {3, 1}, x.argmax(1, true).shape());
        assertArrayEquals(new int[] {3}, x.argmax(-1).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).argmax(1));
        assertTrue(e.getMessage().contains("argmax") && e.getMessage().contains("[2, 0]"), e.getMessage());
    }

    @Test
    void extremeInputsStayFinite() {
        Tensor x = Tensor.fromArray(new double[] {-1000, -300, 300, 1000});
        assertArrayEquals(new double[] {0, Math.exp(-300), 1, 1}, x.sigmoid().toArray(), 1e-300);
        assertArrayEquals(new double[] {0, Math.exp(-300), 300, 1000}, x.softplus().toArray(), 1e-12);
        assertEquals(1000 + Math.log1p(Math.exp(-700)), x.logSumExp().item(), 1e-12);
        Tensor inf = Tensor.fromArray(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY});
        assertEquals(Double.NEGATIVE_INFINITY, inf.logSumExp().item());
        Tensor p = x.softmax(0);
        assertEquals(1.0, p.sum().item(), 1e-15);
    }

    @Test
    void matmulOfVectorsFollowsNumPy() {
        Tensor v = Tensor.fromArray(new double[] {1, 2, 3});
        Tensor m = Tensor.arange(6).reshape(3, 2);
        assertEquals(14.0, v.matmul(v).item());
        assertArrayEquals(new double[] {16, 22}, v.matmul(m).toArray());
        assertArrayEquals(new double[] {16, 22}, m.transpose(0, 1).matmul(v).toArray());
        assertArrayEquals(new int[] {0, 2}, Tensor.ones(0, 3).matmul(m).shape());
        assertArrayEquals(new double[] {0, 0, 0, 0}, Tensor.ones(2, 0).matmul(Tensor.ones(0, 2)).toArray());
    }

    @Test
    void filledFloatTakesTheFloatArrayItsWriterWrote() {
        Tensor t = Tensor.filledFloat(a -> {
            assertArrayEquals(new float[6], a, 0f); // handed over zero-filled
            for (int i = 0; i < a.length; i++) {
                a[i] = i * 0.1f;
            }
        }, 3, 2);
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, t.toFloatArray(), 0f);
        assertEquals(DType.FLOAT32, Tensor.filledFloat(a -> a[0] = 2f).dtype()); // rank 0
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.filledFloat(a -> { }, 2, -1));
        assertTrue(e.getMessage().startsWith("filledFloat"), e.getMessage());
        NullPointerException n = assertThrows(NullPointerException.class, () -> Tensor.filledFloat(null, 2));
        assertTrue(n.getMessage().contains("filledFloat: writer is null"), n.getMessage());
    }

    @Test
    void filledTakesTheArrayItsWriterWrote() {
        Tensor t = Tensor.filled(a -> {
            assertArrayEquals(new double[6], a, 0.0); // handed over zero-filled
            for (int i = 0; i < a.length; i++) {
                a[i] = i * 0.5;
            }
        }, 2, 3);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 2.5}, t.toArray(), 0.0);
        assertEquals(7.0, Tensor.filled(a -> a[0] = 7.0).item(), 0.0); // rank 0: one element
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.filled(a -> { }, 2, -1));
        assertTrue(e.getMessage().startsWith("filled"), e.getMessage());
        NullPointerException n = assertThrows(NullPointerException.class, () -> Tensor.filled(null, 2));
        assertTrue(n.getMessage().contains("filled: writer is null"), n.getMessage());
    }
}
