package dev.autodiff.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.autodiff.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills a child JVM with SIGKILL while it saves a checkpoint in a loop: the checkpoint must always load
 * whole, as one of the versions saved, and the next load or save in the directory must leave no
 * temporary file behind. Half the kills are at a random moment; the other half come the moment a
 * partial file is seen (so that most kills land mid-write), after a load by this process has run beside
 * the live writer (whose file that load must not remove).
 */
class CheckpointCrashTest {
    private static final int ELEMENTS = 1 << 20; // 8 MiB per save
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {20240613L})
    void aKilledSaveLeavesTheCheckpointWholeAndTheNextLoadOrSaveLeavesNoLitter(long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = Files.createDirectory(tmp.resolve("checkpoints"));
        Path ckpt = dir.resolve("crash.safetensors");
        int kills = 6;
        int littered = 0;
        for (int k = 0; k < kills; k++) {
            String where = "seed " + seed + ", kill " + k;
            Path err = tmp.resolve("child" + k + ".err");
            Process child = CheckpointChild.jvm("256m", "save-loop", ckpt.toString(), Integer.toString(ELEMENTS))
                    .redirectError(err.toFile()).start();
            AtomicInteger saved = new AtomicInteger();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = child.inputReader()) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        saved.set(Integer.parseInt(line.trim()));
                    }
                } catch (IOException | NumberFormatException e) {
                    // the child is gone
                }
            });
            reader.start();
            try {
                await(child, err, where, () -> saved.get() >= 1); // from now on the checkpoint is this child's
                if (k % 2 == 0) {
                    Thread.sleep(random.nextInt(300));
                } else {
                    await(child, err, where, () -> !others(dir, ckpt).isEmpty());
                    int before = saved.get();
                    checkWhole(SafeTensors.load(ckpt), before, where + " (load beside a live save)");
                    await(child, err, where + ": the live save whose partial file a load saw must complete",
                            () -> saved.get() > before);
                    await(child, err, where, () -> !others(dir, ckpt).isEmpty());
                }
            } finally {
                child.destroyForcibly(); // SIGKILL
                child.waitFor();
                reader.join();
            }
            List<Path> litter = others(dir, ckpt);
            littered += litter.isEmpty() ? 0 : 1;
            if (k % 2 == 0) { // the next load cleans up
                checkWhole(SafeTensors.load(ckpt), saved.get(), where);
            } else { // the next save cleans up; check what the kill left through a copy, whose load sweeps elsewhere
                Path copy = Files.copy(ckpt, tmp.resolve("copy" + k + ".safetensors"));
                checkWhole(SafeTensors.load(copy), saved.get(), where);
                SafeTensors.save(ckpt, Map.of("a", Tensor.full(0, 1), "b", Tensor.full(0, 7)), Map.of("version", "0"));
            }
            assertEquals(List.of(), others(dir, ckpt), where + ": files left beside the checkpoint (the kill left " + litter
                    + ")");
        }
        assertTrue(littered > 0, "seed " + seed + ": no kill landed during a save, so the test proved nothing");
    }

    /** The checkpoint is whole and holds the version the child saved last, or the one it was saving. */
    private static void checkWhole(SafeTensors.Contents c, int saved, String where) {
        int v = Integer.parseInt(c.metadata().get("version"));
        assertTrue(v == saved || v == saved + 1, where + ": the checkpoint holds version " + v + " but the child had saved "
                + saved);
        double[] a = c.tensors().get("a").toArray();
        assertEquals(ELEMENTS, a.length, where);
        assertTrue(Arrays.stream(a).allMatch(x -> x == v), where + ": tensor a is not all " + v);
        assertTrue(Arrays.stream(c.tensors().get("b").toArray()).allMatch(x -> x == -v), where + ": tensor b is not all -" + v);
    }

    private interface Condition {
        boolean holds() throws IOException;
    }

    private static void await(Process child, Path err, String where, Condition c) throws IOException {
        long start = System.nanoTime();
        while (!c.holds()) {
            if (!child.isAlive()) {
                fail(where + ": the child died (exit " + child.exitValue() + "): " + Files.readString(err));
            }
            if (System.nanoTime() - start > TIMEOUT) {
                fail(where + ": timed out");
            }
            Thread.onSpinWait();
        }
    }

    private static List<Path> others(Path dir, Path ckpt) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.equals(ckpt)).collect(Collectors.toList());
        }
    }
}
