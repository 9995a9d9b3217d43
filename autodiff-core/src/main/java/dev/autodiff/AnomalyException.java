package dev.autodiff;

/** Thrown in anomaly mode when a backward rule produces NaN or infinity; names the op and where it was created. */
public final class AnomalyException extends ArithmeticException {
    private final String op;
    private final String site;

    AnomalyException(String message, String op, String site) {
        super(message);
        this.op = op;
        this.site = site;
    }

    /** The op whose backward produced the non-finite value. */
    public String op() {
        return op;
    }

    /** The Java call site (file and line) where that op was created. */
    public String site() {
        return site;
    }
}
