package dev.autodiff.nn.data;

/**
 * The LZW decoder of Unix {@code compress(1)} in its block mode, written from the format's description: codes are
 * packed little-endian, least significant bit first, 9 bits wide at first; code 256 (CLEAR) resets the table; new
 * strings take codes from 257 up to {@code 2^maxBits - 1}. compress reads codes in groups of {@code n} bytes (eight
 * {@code n}-bit codes) and starts a new group whenever the code width grows or the table is cleared, dropping the
 * rest of the group it was in; the decoder must do the same to stay on the code boundaries. The stream carries no
 * header here: the caller has read compress's {@code 1F 9D} and flags byte.
 */
final class Lzw {
    private Lzw() {}

    static final int CLEAR = 256;
    private static final int FIRST = 257;
    private static final int INIT_BITS = 9;

    /** A stream that breaks the format; the message says where. */
    static final class CorruptException extends Exception {
        CorruptException(String message) {
            super(message);
        }
    }

    /**
     * Decodes {@code in[from, to)} into {@code out} from {@code at}, writing at most {@code limit} bytes.
     *
     * @return the number of bytes written
     * @throws CorruptException for a code that names no string yet, or more than {@code limit} bytes of output
     */
    static int decode(byte[] in, int from, int to, int maxBits, byte[] out, int at, int limit) throws CorruptException {
        int maxMaxCode = 1 << maxBits;
        int[] prefix = new int[maxMaxCode];
        byte[] suffix = new byte[maxMaxCode];
        byte[] stack = new byte[maxMaxCode];
        for (int c = 0; c < 256; c++) {
            suffix[c] = (byte) c;
        }
        int nBits = INIT_BITS;
        int maxCode = (1 << nBits) - 1;
        int free = FIRST;
        int old = -1; // -1: the next code starts the stream or follows a CLEAR, so it must be a byte
        int finChar = 0;
        int written = 0;
        int pos = from;
        while (pos < to) {
            // one group: n bytes, or what is left; it holds floor((8 bytes - n) / n) + 1 whole codes
            int groupBytes = Math.min(nBits, to - pos);
            int groupStart = pos;
            pos += groupBytes;
            int bits = groupBytes * 8;
            boolean regroup = false;
            for (int off = 0; off + nBits <= bits && !regroup; off += nBits) {
                int code = bitsAt(in, groupStart, off, nBits);
                int where = groupStart + off / 8;
                if (old == -1) {
                    if (code >= 256) {
                        throw new CorruptException("code " + code + " at byte " + where + " where a literal byte "
                                + "(a code below 256) must start the stream or follow a CLEAR");
                    }
                    if (written == limit) {
                        throw tooLong(limit, where);
                    }
                    out[at + written++] = (byte) code;
                    finChar = code;
                    old = code;
                } else if (code == CLEAR) {
                    free = FIRST;
                    old = -1;
                    nBits = INIT_BITS;
                    maxCode = (1 << nBits) - 1;
                    regroup = true;
                    continue;
                } else {
                    if (code > free) {
                        throw new CorruptException("code " + code + " at byte " + where + ", but only codes below "
                                + (free + 1) + " are defined there");
                    }
                    int incode = code;
                    int sp = 0;
                    if (code == free) { // the string being defined: old's string plus its own first byte (KwKwK)
                        stack[sp++] = (byte) finChar;
                        code = old;
                    }
                    while (code >= 256) {
                        stack[sp++] = suffix[code];
                        code = prefix[code];
                    }
                    finChar = code;
                    stack[sp++] = (byte) code;
                    if (written + sp > limit) {
                        throw tooLong(limit, where);
                    }
                    while (sp > 0) {
                        out[at + written++] = stack[--sp];
                    }
                    if (free < maxMaxCode) {
                        prefix[free] = old;
                        suffix[free] = (byte) finChar;
                        free++;
                    }
                    old = incode;
                }
                if (free > maxCode) { // the next code is one bit wider and starts a new group
                    nBits++;
                    maxCode = nBits == maxBits ? maxMaxCode : (1 << nBits) - 1;
                    regroup = true;
                }
            }
        }
        return written;
    }

    private static CorruptException tooLong(int limit, int where) {
        return new CorruptException("the output passes the " + limit + " bytes it may have, at byte " + where);
    }

    /** The n-bit code at bit offset off (LSB first) of the group starting at byte start. */
    private static int bitsAt(byte[] in, int start, int off, int n) {
        int b = start + (off >> 3);
        int shift = off & 7;
        // n + shift <= 23 bits span at most three bytes, all inside the group
        int v = in[b] & 0xff;
        if (shift + n > 8) {
            v |= (in[b + 1] & 0xff) << 8;
        }
        if (shift + n > 16) {
            v |= (in[b + 2] & 0xff) << 16;
        }
        return (v >>> shift) & ((1 << n) - 1);
    }
}
