package dev.autodiff;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets an IllegalArgumentException naming the op and what it got; never an index error from a kernel. */
class ErrorMessageTest {
    private static final Tensor A23 = Tensor.ones(2, 3);
    private static final Tensor B43 = Tensor.ones(4, 3);

    static Stream<Arguments> badCalls() {
        return Stream.of(
                bad("add shape mismatch", () -> A23.add(B43), "add", "[2, 3]", "[4, 3]"),
                bad("mul shape mismatch", () -> A23.mul(Tensor.ones(2)), "mul", "[2, 3]", "[2]"),
                bad("where shape mismatch", () -> Tensor.where(Tensor.ones(2), A23, A23), "where", "[2]"),
                bad("matmul inner", () -> A23.matmul(A23), "matmul", "[2, 3]", "inner"),
                bad("matmul rank 0", () -> Tensor.scalar(1).matmul(A23), "matmul", "[]"),
                bad("matmul batch", () -> Tensor.ones(2, 2, 3).matmul(Tensor.ones(3, 3, 2)), "matmul", "batch"),
                bad("addmm inner", () -> Tensor.ones(3).addmm(A23, A23), "addmm", "[2, 3]", "inner"),
                bad("addmm vector", () -> Tensor.ones(3).addmm(Tensor.ones(2), A23), "addmm", "[2]", "rank >= 2"),
                bad("addmm bias larger than the product", () -> Tensor.ones(4, 2, 3).addmm(A23, Tensor.ones(3, 3)),
                        "addmm", "[4, 2, 3]", "[2, 3]"),
                bad("addmm bias mismatch", () -> Tensor.ones(4).addmm(A23, Tensor.ones(3, 3)), "addmm", "[4]", "[2, 3]"),
                bad("sum bad axis", () -> A23.sum(2), "sum", "axis 2", "rank 2"),
                bad("sum negative axis", () -> A23.sum(-3), "sum", "axis -3"),
                bad("sum duplicate axis", () -> A23.sum(1, -1), "sum", "twice"),
                bad("max of empty", () -> Tensor.ones(0, 3).max(0), "max", "size 0"),
                bad("softmax bad axis", () -> A23.softmax(5), "axis 5"),
                bad("reshape size", () -> A23.reshape(4, 2), "reshape", "[2, 3]", "[4, 2]"),
                bad("reshape two -1", () -> A23.reshape(-1, -1), "reshape"),
                bad("permute not a permutation", () -> A23.permute(0, 0), "permute", "[0, 0]"),
                bad("permute wrong length", () -> A23.permute(0), "permute", "rank 2"),
                bad("broadcastTo", () -> A23.broadcastTo(3, 3), "broadcastTo", "[2, 3]", "[3, 3]"),
                bad("slice step", () -> A23.slice(1, 0, 2, 0), "slice", "step"),
                bad("slice axis", () -> A23.slice(3, 0, 1), "slice", "axis 3"),
                bad("concat shapes", () -> Tensor.concat(0, A23, Tensor.ones(2, 2)), "concat", "[2, 3]", "[2, 2]"),
                bad("stack shapes", () -> Tensor.stack(0, A23, B43), "stack", "[2, 3]", "[4, 3]"),
                bad("pad widths", () -> A23.pad(new int[] {1}, new int[] {1}, 0), "pad", "[2, 3]"),
                bad("indexSelect range", () -> A23.indexSelect(1, 0, 3), "indexSelect", "index 3", "[0, 3)"),
                bad("gather value", () -> A23.gather(1, Tensor.fromArray(new double[] {0.5, 0, 0}, 1, 3)), "gather", "0.5"),
                bad("gather rank", () -> A23.gather(1, Tensor.ones(3)), "gather", "rank"),
                bad("unfold shape", () -> A23.unfold(new int[] {2}, new int[] {1}, new int[] {0}, new int[] {1}), "unfold"),
                bad("unfold kernel too big", () -> Tensor.ones(1, 1, 3, 3).unfold(new int[] {4, 4}, new int[] {1, 1},
                        new int[] {0, 0}, new int[] {1, 1}), "unfold", "does not fit"),
                bad("fold count", () -> Tensor.ones(1, 4, 5).fold(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1},
                        new int[] {0, 0}, new int[] {1, 1}), "fold", "5 blocks"),
                bad("item of many", A23::item, "item", "[2, 3]"),
                bad("get out of bounds", () -> A23.get(2, 0), "get", "[2, 0]", "[2, 3]"),
                bad("get wrong rank", () -> A23.get(0), "get", "rank 2"),
                bad("fromArray size", () -> Tensor.fromArray(new double[] {1, 2, 3}, 2, 2), "fromArray", "[2, 2]"),
                bad("negative dimension", () -> Tensor.zeros(2, -1), "zeros", "[2, -1]"),
                bad("clamp", () -> A23.clamp(1, 0), "clamp"),
                bad("sumTo", () -> A23.sumTo(4), "sumTo", "[2, 3]", "[4]"),
                bad("squeeze", () -> A23.squeeze(0), "squeeze", "size 2"),
                bad("arange", () -> Tensor.arange(0, 1, 0), "arange", "step"),
                // size arithmetic is exact: the overflows, each refused naming the op
                bad("slice step overflow", () -> Tensor.ones(3).slice(0, 0, 3, Integer.MAX_VALUE).add(1).slice(0, 0, 3, 0),
                        "slice", "step"),
                bad("broadcastTo negative", () -> Tensor.ones(1).broadcastTo(-3), "broadcastTo", "negative", "[-3]"),
                bad("broadcastTo MIN_VALUE", () -> Tensor.ones(1).broadcastTo(Integer.MIN_VALUE), "broadcastTo", "negative"),
                bad("reshape wrapping to 0", () -> Tensor.zeros(0).reshape(65536, 65536, 65536, 65536), "reshape",
                        "[65536, 65536, 65536, 65536]"),
                bad("reshape MIN_VALUE", () -> A23.reshape(Integer.MIN_VALUE, -1), "reshape"),
                bad("concat past 2^31", () -> Tensor.concat(0, Tensor.zeros(Integer.MAX_VALUE - 9, 0),
                        Tensor.zeros(Integer.MAX_VALUE - 9, 0)), "concat", "dimension 0"),
                bad("pad huge", () -> A23.pad(new int[] {0, Integer.MAX_VALUE}, new int[] {0, Integer.MAX_VALUE}, 0), "pad"),
                bad("indexSelect past 2^31 elements", () -> Tensor.zeros(1 << 16, 2).indexSelect(1, new int[1 << 16]),
                        "indexSelect", "elements"),
                bad("arange past 2^31 elements", () -> Tensor.arange(0, 3e9, 1), "arange", "3.0E9"),
                bad("unfold huge kernel", () -> Tensor.ones(1, 1, 3, 3).unfold(new int[] {Integer.MAX_VALUE, 1},
                        new int[] {1, 1}, new int[] {Integer.MAX_VALUE / 2, 0}, new int[] {1, 1}), "unfold"),
                bad("unfold huge dilation", () -> Tensor.ones(1, 1, 3, 3).unfold(new int[] {3, 1},
                        new int[] {1, 1}, new int[] {0, 0}, new int[] {Integer.MAX_VALUE, 1}), "unfold", "dilation"),
                bad("unfold huge output", () -> Tensor.ones(1, 1, 3, 3).unfold(new int[] {1, 1},
                        new int[] {1, 1}, new int[] {1 << 20, 1 << 20}, new int[] {1, 1}), "unfold", "elements"),
                bad("unfold names the spatial size, not the whole shape", () -> Tensor.ones(2, 5, 3, 3).unfold(
                        new int[] {4, 4}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}), "unfold", "spatial size [3, 3]"),
                bad("softmax names itself", () -> A23.softmax(2), "softmax", "axis 2"),
                bad("matmulTransA names itself", () -> A23.matmulTransA(B43), "matmulTransA", "inner"),
                bad("zeros past 2^31 elements", () -> Tensor.zeros(65536, 65536), "zeros", "elements"),
                bad("eye negative", () -> Tensor.eye(-2), "eye", "-2"),
                // ===== issue 16: elementwise math, the binary ops on shapes that do not broadcast
                bad("atan2 shape mismatch", () -> A23.atan2(B43), "atan2", "[2, 3]", "[4, 3]"),
                bad("hypot shape mismatch", () -> A23.hypot(Tensor.ones(2)), "hypot", "[2, 3]", "[2]"),
                bad("logaddexp shape mismatch", () -> Tensor.ones(3, 1, 2).logaddexp(B43), "logaddexp", "[3, 1, 2]", "[4, 3]"),
                bad("xlogy shape mismatch", () -> B43.xlogy(A23), "xlogy", "[4, 3]", "[2, 3]"),
                bad("tile names itself", () -> A23.tile(-1), "tile", "got [-1]"),
                bad("chunk of an empty axis into too many pieces", () -> Tensor.zeros(0, 2).chunk(Integer.MAX_VALUE, 0),
                        "chunk", "2147483647", "[0, 2]"));
    }

    private static Arguments bad(String name, Executable call, String... mustMention) {
        return Arguments.of(name, call, mustMention);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCalls")
    void namesTheOpAndWhatItGot(String name, Executable call, String[] mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message should mention '" + s + "': " + e.getMessage());
        }
    }
}
