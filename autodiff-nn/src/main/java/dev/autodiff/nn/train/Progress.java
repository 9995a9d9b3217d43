package dev.autodiff.nn.train;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * Progress of long work, such as an epoch: on a terminal one line redrawn in place (a bar, steps done, the
 * caller's status such as the loss so far, the rate and the time left), elsewhere (a file, CI) plain lines at
 * most every {@code interval} milliseconds plus a last one, so a log stays short and readable.
 *
 * <p>Written here rather than taken from a progress-bar library: the ones on Maven Central draw through a
 * native terminal layer (JLine), which warns about native access on JDK 24+, and redraw with carriage returns
 * into files; this needs neither.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final long intervalNanos;

    private Progress(PrintStream out, boolean terminal, long intervalMillis) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos = intervalMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : intervalMillis * 1_000_000L;
    }

    /** To standard output: a redrawn line on a terminal (10 updates a second), else a plain line every 10 s. */
    public static Progress auto() {
        boolean tty = isTerminal();
        return new Progress(System.out, tty, tty ? 100 : 10_000);
    }

    /** Plain lines to {@code out}, at most one per {@code intervalMillis} (0: every update), and a last one. */
    public static Progress lines(PrintStream out, long intervalMillis) {
        Objects.requireNonNull(out, "Progress.lines: out is null");
        if (intervalMillis < 0) {
            throw new IllegalArgumentException("Progress.lines: intervalMillis must be >= 0, got " + intervalMillis);
        }
        return new Progress(out, false, intervalMillis);
    }

    /** Prints a line of its own (between tasks), unless this is {@link #none()}. */
    public void message(String line) {
        if (out != null) {
            out.println(line);
            out.flush();
        }
    }

    /** Nothing at all. */
    public static Progress none() {
        return new Progress(null, false, 0);
    }

    /** Starts a task of {@code total} steps named {@code name} ("epoch 1/3"). */
    public Task start(String name, int total) {
        Objects.requireNonNull(name, "Progress.start: name is null");
        if (total < 0) {
            throw new IllegalArgumentException("Progress.start: total must be >= 0, got " + total);
        }
        return new Task(name, total);
    }

    /** One task's progress. */
    public final class Task {
        private final String name;
        private final int total;
        private final long start = System.nanoTime();
        private long lastShown = start; // the first line after one interval: step 1's rate says nothing yet
        private int lastLength;

        private Task(String name, int total) {
            this.name = name;
            this.total = total;
        }

        /** {@code done} steps of the total are done; {@code status} (may be empty) says how it goes. */
        public void update(int done, String status) {
            long now = System.nanoTime();
            if (out == null || now - lastShown < intervalNanos) {
                return;
            }
            lastShown = now;
            show(line(done, status, now), false);
        }

        /** Ends the task with a last line: the whole time and {@code summary}. */
        public void done(String summary) {
            if (out == null) {
                return;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            String line = String.format(Locale.ROOT, "%s  %d/%d  %s", name, total, total, clock(seconds));
            show(summary == null || summary.isEmpty() ? line : line + "  " + summary, true);
        }

        private String line(int done, String status, long now) {
            double elapsed = (now - start) / 1e9;
            StringBuilder sb = new StringBuilder(name).append(' ');
            if (terminal) {
                int width = 24;
                int filled = total == 0 ? width : (int) ((long) width * Math.min(done, total) / total);
                sb.append('[').append("=".repeat(filled)).append(filled < width ? ">" : "")
                        .append(" ".repeat(Math.max(0, width - filled - 1))).append("] ");
            }
            sb.append(done).append('/').append(total);
            if (status != null && !status.isEmpty()) {
                sb.append("  ").append(status);
            }
            if (done > 0 && done < total) {
                sb.append("  ETA ").append(clock(elapsed / done * (total - done)));
            }
            return sb.toString();
        }

        private void show(String line, boolean last) {
            if (terminal) {
                // redraw in place; pad with blanks over the end of a longer previous line
                out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())) + (last ? "\n" : ""));
                lastLength = last ? 0 : line.length();
            } else {
                out.println(line);
            }
            out.flush();
        }
    }

    /** m:ss, or h:mm:ss from an hour. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(java.util.Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(java.util.Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * Whether standard output is a terminal. On JDK 17 that is "a console exists"; from JDK 22 a console exists
     * for redirected output too, and Console.isTerminal() tells, so it is asked for when present.
     */
    private static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK < 22: a console means both ends are a terminal
        }
    }
}
