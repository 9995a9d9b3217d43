package dev.autodiff.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every class of malformed safetensors file is refused with an IOException that names the file and says
 * what is wrong in the format's terms, never a JDK text; and the valid corners of the format are read.
 */
class CheckpointHeaderTest {
    @TempDir
    Path dir;

    private static final String A = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";

    /** A file of the 8-byte length (the header's own unless given), the header bytes, then dataBytes zeros. */
    private Path file(byte[] header, long declared, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared == Long.MIN_VALUE ? header.length : declared).put(header);
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path file(String header, int dataBytes) throws IOException {
        return file(header.getBytes(StandardCharsets.UTF_8), Long.MIN_VALUE, dataBytes);
    }

    private static void refused(Path p, String mention) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(p), mention);
        assertTrue(e.getMessage().startsWith("safetensors: " + p + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(mention), "says '" + mention + "': " + e.getMessage());
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                // header text that is not JSON (RFC 8259)
                Arguments.of("leading zero", "{\"a\":{\"dtype\":\"F64\",\"shape\":[02],\"data_offsets\":[0,16]}}", 16,
                        "number with a leading zero"),
                Arguments.of("leading zero in offsets", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[00,16]}}",
                        16, "leading zero"),
                Arguments.of("trailing comma in an array", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2,],\"data_offsets\":[0,16]}}",
                        16, "trailing comma before ']'"),
                Arguments.of("trailing comma in an object", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16],}}",
                        16, "trailing comma before '}'"),
                Arguments.of("duplicate tensor", "{" + tensor("a", "\"F64\"", "[1]", "[0,8]") + ","
                        + tensor("a", "\"F64\"", "[1]", "[8,16]") + "}", 16, "duplicate key \"a\""),
                Arguments.of("duplicate field", "{\"a\":{\"dtype\":\"F64\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                        16, "duplicate key \"dtype\""),
                Arguments.of("trailing garbage", A + "x", 16, "text after the end of the JSON value: 'x'"),
                Arguments.of("two objects", A + "{}", 16, "text after the end"),
                Arguments.of("bad unicode escape", "{\"\\uZZZZ\":{}}", 0, "a \\u escape needs four hex digits"),
                Arguments.of("signed unicode escape", "{\"\\u+041\":{}}", 0, "four hex digits"),
                Arguments.of("lone surrogate escape", "{\"\\ud800\":{}}", 0, "high surrogate not followed by a low one"),
                Arguments.of("lone low surrogate", "{\"\\udc00x\":{}}", 0, "lone low surrogate"),
                Arguments.of("unknown escape", "{\"\\x41\":{}}", 0, "unknown escape \\x"),
                Arguments.of("raw control character", "{\"a\tb\":{}}", 0, "control character U+0009"),
                Arguments.of("unterminated string", "{\"abc", 0, "unterminated string"),
                Arguments.of("single quotes", "{'a':{}}", 0, "expected a key string, found '''"),
                Arguments.of("missing colon", "{\"a\" {}}", 0, "expected ':' after a key"),
                Arguments.of("missing comma", "{\"a\":{} \"b\":{}}", 0, "expected '}' or ','"),
                Arguments.of("unclosed object", "{\"a\":{}", 0, "found the end of the text"),
                Arguments.of("NaN", "{\"a\":NaN}", 0, "expected a value, found 'N'"),
                Arguments.of("truncated literal", "{\"a\":tru}", 0, "expected a value, found 't'"),
                Arguments.of("plus sign", "{\"a\":{\"dtype\":\"F64\",\"shape\":[+2],\"data_offsets\":[0,16]}}", 16,
                        "expected a value, found '+'"),
                Arguments.of("bare minus", "{\"a\":{\"dtype\":\"F64\",\"shape\":[-],\"data_offsets\":[0,16]}}", 16,
                        "expected a digit in a number"),
                Arguments.of("bare decimal point", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2.],\"data_offsets\":[0,16]}}", 16,
                        "expected a digit after the decimal point"),
                Arguments.of("empty exponent", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2e],\"data_offsets\":[0,16]}}", 16,
                        "expected a digit in the exponent"),
                Arguments.of("hex number", "{\"a\":{\"dtype\":\"F64\",\"shape\":[0x2],\"data_offsets\":[0,16]}}", 16,
                        "expected ']' or ','"),
                Arguments.of("deep nesting", "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 0, "nested deeper than"),
                // the format: the header
                Arguments.of("not an object", "[1,2]", 0, "the header must begin with '{', it begins with '['"),
                Arguments.of("leading space", " " + A, 16, "must begin with '{', it begins with U+0020"),
                // the format: entries
                Arguments.of("entry not an object", "{\"a\":[1]}", 0, "tensor 'a' must be an object with dtype, shape and "
                        + "data_offsets, got an array"),
                Arguments.of("no dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,16]}}", 16, "tensor 'a' has no \"dtype\""),
                Arguments.of("no shape", "{\"a\":{\"dtype\":\"F64\",\"data_offsets\":[0,16]}}", 16, "has no \"shape\""),
                Arguments.of("no offsets", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2]}}", 16, "has no \"data_offsets\""),
                Arguments.of("dtype a number", "{" + tensor("a", "64", "[2]", "[0,16]") + "}", 16,
                        "dtype 64, which is not a safetensors dtype"),
                Arguments.of("unknown dtype", "{" + tensor("a", "\"F65\"", "[2]", "[0,16]") + "}", 16,
                        "dtype \"F65\", which is not a safetensors dtype"),
                Arguments.of("lower-case dtype", "{" + tensor("a", "\"f64\"", "[2]", "[0,16]") + "}", 16,
                        "not a safetensors dtype"),
                Arguments.of("unsupported dtype", "{" + tensor("a", "\"U64\"", "[2]", "[0,16]") + "}", 16,
                        "dtype U64; this library reads F64, F32, F16, BF16, I64 and I32 only"),
                Arguments.of("shape not an array", "{" + tensor("a", "\"F64\"", "2", "[0,16]") + "}", 16,
                        "has shape 2, expected an array of sizes"),
                Arguments.of("shape of strings", "{" + tensor("a", "\"F64\"", "[\"2\"]", "[0,16]") + "}", 16,
                        "has shape [\"2\"]: dimension 0 is \"2\", expected an integer in [0, 2^63)"),
                Arguments.of("fractional dimension", "{" + tensor("a", "\"F64\"", "[2.0]", "[0,16]") + "}", 16,
                        "dimension 0 is 2.0"),
                Arguments.of("negative dimension", "{" + tensor("a", "\"F64\"", "[-2]", "[0,16]") + "}", 16,
                        "dimension 0 is -2"),
                Arguments.of("dimension past 64 bits", "{" + tensor("a", "\"F64\"", "[1,99999999999999999999]", "[0,16]") + "}",
                        16, "dimension 1 is 99999999999999999999"),
                Arguments.of("dimensions whose product overflows", "{" + tensor("a", "\"F64\"", "[4294967296,4294967296]",
                        "[0,16]") + "}", 16, "whose size is 2^63 bytes or more"),
                Arguments.of("bytes that overflow", "{" + tensor("a", "\"F64\"", "[2305843009213693952]", "[0,16]") + "}", 16,
                        "whose size is 2^63 bytes or more"),
                Arguments.of("offsets not an array", "{" + tensor("a", "\"F64\"", "[2]", "16") + "}", 16,
                        "data_offsets 16, expected [begin, end]"),
                Arguments.of("three offsets", "{" + tensor("a", "\"F64\"", "[2]", "[0,8,16]") + "}", 16,
                        "data_offsets [0,8,16], expected [begin, end]"),
                Arguments.of("negative offset", "{" + tensor("a", "\"F64\"", "[0]", "[-8,-8]") + "}", 0,
                        "data_offsets [-8,-8]"),
                Arguments.of("end before begin", "{" + tensor("a", "\"F64\"", "[0]", "[16,0]") + "}", 16,
                        "with 0 <= begin <= end"),
                Arguments.of("offsets of strings", "{" + tensor("a", "\"F64\"", "[2]", "[\"0\",\"16\"]") + "}", 16,
                        "data_offsets [\"0\",\"16\"], expected"),
                Arguments.of("offset past 64 bits", "{" + tensor("a", "\"F64\"", "[2]", "[0,18446744073709551632]") + "}", 16,
                        "data_offsets [0,18446744073709551632]"),
                Arguments.of("shape and offsets disagree", "{" + tensor("a", "\"F64\"", "[3]", "[0,16]") + "}", 16,
                        "tensor 'a' of shape [3] and dtype F64 needs 24 bytes, but its data_offsets [0,16] span 16"),
                Arguments.of("F32 sized as F64", "{" + tensor("a", "\"F32\"", "[2]", "[0,16]") + "}", 16, "needs 8 bytes"),
                Arguments.of("overlap", "{" + tensor("a", "\"F64\"", "[2]", "[0,16]") + ","
                        + tensor("b", "\"F64\"", "[1]", "[8,16]") + "}", 16,
                        "tensor 'b' (data bytes [8, 16)) overlaps tensor 'a' ([0, 16))"),
                Arguments.of("same range twice", "{" + tensor("a", "\"F64\"", "[1]", "[0,8]") + ","
                        + tensor("b", "\"F64\"", "[1]", "[0,8]") + "}", 8, "overlaps"),
                Arguments.of("hole between", "{" + tensor("a", "\"F64\"", "[1]", "[0,8]") + ","
                        + tensor("b", "\"F64\"", "[1]", "[16,24]") + "}", 24,
                        "data bytes [8, 16) belong to no tensor (between 'a' and 'b')"),
                Arguments.of("hole at the start", "{" + tensor("a", "\"F64\"", "[1]", "[8,16]") + "}", 16,
                        "data bytes [0, 8) belong to no tensor"),
                Arguments.of("truncated data", A, 8, "the tensors need 16 bytes of data but the file holds 8"),
                Arguments.of("trailing bytes", A, 24, "holds 24 bytes of data after its header but the tensors cover only 16"),
                Arguments.of("offsets past the end", "{" + tensor("a", "\"F64\"", "[1]", "[1000000,1000008]") + "}", 8,
                        "belong to no tensor"),
                // the format: metadata
                Arguments.of("metadata not an object", "{\"__metadata__\":[\"k\",\"v\"]}", 0,
                        "__metadata__ must be an object of strings, got an array"),
                Arguments.of("metadata number", "{\"__metadata__\":{\"k\":1}}", 0,
                        "__metadata__ value for 'k' must be a string, got a number"),
                Arguments.of("metadata null", "{\"__metadata__\":{\"k\":null}}", 0, "must be a string, got null"),
                Arguments.of("metadata nested", "{\"__metadata__\":{\"k\":{}}}", 0, "must be a string, got an object"),
                // valid files that cannot be a Tensor here
                Arguments.of("dimension over int", "{" + tensor("a", "\"F64\"", "[4294967296,0]", "[0,0]") + "}", 0,
                        "has a dimension over 2147483647, more than a Tensor dimension can be"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void aMalformedHeaderIsRefusedInTheFormatsTerms(String name, String header, int dataBytes, String mention) throws IOException {
        refused(file(header, dataBytes), mention);
    }

    static Stream<Arguments> malformedBytes() {
        byte[] ok = A.getBytes(StandardCharsets.UTF_8);
        byte[] invalid = ok.clone();
        invalid[2] = (byte) 0xFF; // inside the name "a"
        byte[] overlong = concat("{\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC0, (byte) 0xAF},
                "\":{}}".getBytes(StandardCharsets.UTF_8));
        byte[] surrogate = concat("{\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                "\":{}}".getBytes(StandardCharsets.UTF_8));
        byte[] bom = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, ok);
        return Stream.of(
                Arguments.of("not UTF-8", invalid, Long.MIN_VALUE, 16, "the header is not valid UTF-8 (bad byte at offset 10"),
                Arguments.of("overlong UTF-8", overlong, Long.MIN_VALUE, 0, "not valid UTF-8"),
                Arguments.of("encoded surrogate", surrogate, Long.MIN_VALUE, 0, "not valid UTF-8"),
                Arguments.of("byte order mark", bom, Long.MIN_VALUE, 16, "must begin with '{', it begins with U+FEFF"),
                Arguments.of("header length past the end", ok, 4000L, 16, "header length 4000 runs past the end of the file"),
                Arguments.of("header length just past the end", ok, ok.length + 17L, 16, "runs past the end"),
                Arguments.of("absurd header length", ok, Long.MAX_VALUE, 16,
                        "header length 9223372036854775807 is over the format's limit of 100000000 bytes"),
                Arguments.of("negative header length", ok, -1L, 16, "header length 18446744073709551615 is over"),
                Arguments.of("header length 0", ok, 0L, 16, "header length 0 is too short"),
                Arguments.of("header length 1", ok, 1L, 16, "header length 1 is too short"),
                Arguments.of("header cut short", ok, ok.length - 1L, 16, "expected '}'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBytes")
    void aMalformedFileIsRefusedInTheFormatsTerms(String name, byte[] header, long declared, int dataBytes, String mention)
            throws IOException {
        refused(file(header, declared, dataBytes), mention);
    }

    @Test
    void aFileShorterThanTheHeaderLength() throws IOException {
        for (int n = 0; n < 8; n++) {
            Path p = dir.resolve("short" + n + ".safetensors");
            Files.write(p, new byte[n]);
            refused(p, "the file has " + n + " bytes, fewer than the 8 of the header length");
        }
    }

    @Test
    void validCornersOfTheFormatAreRead() throws IOException {
        String header = "{ \"__metadata__\" : {\"k\\u00e9\\ud83d\\ude00\":\"v\\n\\\"\\/\"},\r\n\t"
                + tensor("\\ud83d\\ude00", "\"F64\"", "[]", "[0,8]") + " , "
                + tensor("empty", "\"F64\"", "[0,2147483647]", "[8,8]") + ","
                + "\"f\":{\"extra\":[1,{\"x\":true},null,-0.5e-3],\"data_offsets\":[8,16],\"shape\":[1,2],\"dtype\":\"F32\"}"
                + "}" + "        ";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putDouble(-2.5).putFloat(1.5f).putFloat(-0.1f);
        Path p = dir.resolve("corners.safetensors");
        Files.write(p, b.array());
        SafeTensors.Contents c = SafeTensors.load(p);
        assertEquals("v\n\"/", c.metadata().get("k\u00e9\ud83d\ude00"));
        Tensor scalar = c.tensors().get("\ud83d\ude00");
        assertEquals(0, scalar.rank());
        assertEquals(-2.5, scalar.item());
        assertArrayEquals(new int[] {0, Integer.MAX_VALUE}, c.tensors().get("empty").shape());
        assertArrayEquals(new double[] {1.5, (double) -0.1f}, c.tensors().get("f").toArray());
        assertArrayEquals(new int[] {1, 2}, c.tensors().get("f").shape());
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Stream.of(parts).mapToInt(x -> x.length).sum());
        for (byte[] x : parts) {
            b.put(x);
        }
        return b.array();
    }
}
