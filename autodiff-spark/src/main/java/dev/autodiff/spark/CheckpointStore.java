package dev.autodiff.spark;

import dev.autodiff.nn.Module;
import dev.autodiff.nn.io.Checkpoints;
import dev.autodiff.nn.optim.Optimizer;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in a directory of any Hadoop file system (hdfs://, s3a://, file:/...): {@code step-<n>.safetensors},
 * written as {@link Checkpoints} writes them (model, optimizer, metadata), first to a local temporary file, then copied
 * to a hidden name in the directory and renamed into place, so a reader never sees half a file and a failed save leaves
 * the previous checkpoints as they were. The two newest are kept. Serializable (the Hadoop settings as strings), so
 * an executor can write too.
 */
final class CheckpointStore implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern NAME = Pattern.compile("step-(\\d{1,10})\\.safetensors");
    private static final int KEEP = 2;

    private final String dir;
    private final Map<String, String> conf;

    CheckpointStore(String dir, Configuration hadoop) {
        this.dir = dir;
        this.conf = new TreeMap<>();
        hadoop.forEach(e -> conf.put(e.getKey(), e.getValue()));
    }

    String dir() {
        return dir;
    }

    private FileSystem fs() throws IOException {
        Configuration c = new Configuration(false);
        conf.forEach(c::set);
        return new Path(dir).getFileSystem(c);
    }

    /** The newest checkpoint's step, or -1 when the directory has none (or does not exist). */
    int latest() {
        try {
            FileSystem fs = fs();
            Path d = new Path(dir);
            if (!fs.exists(d)) {
                return -1;
            }
            int best = -1;
            for (FileStatus f : fs.listStatus(d)) {
                Matcher m = NAME.matcher(f.getPath().getName());
                if (m.matches() && Long.parseLong(m.group(1)) <= Integer.MAX_VALUE) {
                    best = Math.max(best, Integer.parseInt(m.group(1)));
                }
            }
            return best;
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer: cannot list the checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    void save(int step, Module model, Optimizer optimizer, Map<String, String> extra) {
        java.nio.file.Path local = null;
        try {
            local = Files.createTempFile("autodiff-spark-", ".safetensors");
            Checkpoints.save(local, model, optimizer, extra);
            FileSystem fs = fs();
            Path d = new Path(dir);
            fs.mkdirs(d);
            Path tmp = new Path(d, ".step-" + step + ".safetensors.tmp");
            Path dst = new Path(d, "step-" + step + ".safetensors");
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
            if (fs.exists(dst)) {
                fs.delete(dst, false);
            }
            if (!fs.rename(tmp, dst)) {
                throw new IOException("rename of " + tmp + " to " + dst + " failed");
            }
            for (FileStatus f : fs.listStatus(d)) { // older ones beyond the newest KEEP, and litter of failed saves
                Matcher m = NAME.matcher(f.getPath().getName());
                boolean old = m.matches() && Long.parseLong(m.group(1)) <= step - KEEP;
                boolean litter = f.getPath().getName().endsWith(".safetensors.tmp") && !f.getPath().equals(tmp);
                if (old || litter) {
                    fs.delete(f.getPath(), false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer: saving the checkpoint of step " + step + " to " + dir + " failed: "
                    + e.getMessage() + "; the previous checkpoints are untouched", e);
        } finally {
            deleteQuietly(local);
        }
    }

    /** Loads checkpoint {@code step} into the model and the optimizer; returns its metadata. */
    Map<String, String> load(int step, Module model, Optimizer optimizer) {
        return read(step, local -> Checkpoints.load(local, model, optimizer));
    }

    /** The metadata of checkpoint {@code step}, without loading it. */
    Map<String, String> extra(int step) {
        return read(step, Checkpoints::extra);
    }

    private interface LocalRead<R> {
        R read(java.nio.file.Path local) throws IOException;
    }

    /** Copies checkpoint {@code step} to a local temporary file and reads it there. */
    private <R> R read(int step, LocalRead<R> reader) {
        java.nio.file.Path local = null;
        Path src = new Path(new Path(dir), "step-" + step + ".safetensors");
        try {
            local = Files.createTempFile("autodiff-spark-", ".safetensors");
            fs().copyToLocalFile(false, src, new Path(local.toUri()), true);
            return reader.read(local);
        } catch (IOException e) {
            throw new UncheckedIOException("SparkTrainer: reading the checkpoint " + src + " failed: " + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    private static void deleteQuietly(java.nio.file.Path local) {
        if (local != null) {
            try {
                Files.deleteIfExists(local);
            } catch (IOException ignored) {
                // a temporary file; the OS cleans it up
            }
        }
    }
}
