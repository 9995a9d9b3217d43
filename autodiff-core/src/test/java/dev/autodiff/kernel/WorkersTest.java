package dev.autodiff.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernels' thread pool: every part runs exactly once, failures reach the caller, nested and
 * concurrent callers finish, and a caller waiting past the spin time is woken.
 */
@Timeout(60)
class WorkersTest {
    /** Runs a job and returns how many times each part ran. */
    private static AtomicIntegerArray runCounting(int parts) {
        AtomicIntegerArray runs = new AtomicIntegerArray(parts);
        Workers.run(parts, runs::incrementAndGet);
        return runs;
    }

    private static void assertEachOnce(AtomicIntegerArray runs) {
        for (int p = 0; p < runs.length(); p++) {
            assertEquals(1, runs.get(p), "part " + p);
        }
    }

    @Test
    void everyPartRunsExactlyOnce() {
        for (int rep = 0; rep < 2000; rep++) {
            assertEachOnce(runCounting(1 + rep % 7));
        }
    }

    @Test
    void thePartsRunOnTheCallerAndTheWorkers() {
        // parts that wait for each other can only finish if they run on different threads at once
        if (Threads.COUNT < 2) {
            return;
        }
        for (int rep = 0; rep < 50; rep++) {
            CountDownLatch both = new CountDownLatch(2);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Workers.run(2, p -> {
                threads.add(Thread.currentThread().getName());
                both.countDown();
                try {
                    assertTrue(both.await(10, TimeUnit.SECONDS), "the other part never ran beside this one");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(2, threads.size(), threads.toString());
            assertTrue(threads.contains(Thread.currentThread().getName()), threads.toString());
        }
    }

    @Test
    void aFailingPartReachesTheCallerAndThePoolKeepsWorking() {
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        for (int failing = 0; failing < 4; failing++) {
            int f = failing;
            AtomicIntegerArray runs = new AtomicIntegerArray(4);
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> Workers.run(4, p -> {
                runs.incrementAndGet(p);
                if (p == f) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            assertEachOnce(runs); // the other parts still ran: the caller never returns while one is running
        }
        assertEachOnce(runCounting(5));
    }

    @Test
    void aPartThatSplitsAgainRunsThatInline() {
        AtomicIntegerArray inner = new AtomicIntegerArray(3 * 4);
        Workers.run(3, p -> Workers.run(4, q -> inner.incrementAndGet(p * 4 + q)));
        assertEachOnce(inner);
    }

    @Test
    void aCallerWaitingLongerThanTheSpinIsWoken() {
        for (int rep = 0; rep < 5; rep++) {
            AtomicIntegerArray runs = new AtomicIntegerArray(2);
            Workers.run(2, p -> {
                if (p == 1) {
                    sleep(20 + Workers.SPIN_NANOS / 1_000_000);
                }
                runs.incrementAndGet(p);
            });
            assertEachOnce(runs);
            sleep(2 + Workers.SPIN_NANOS / 1_000_000); // the workers park: the next job must wake them
        }
    }

    @Test
    void concurrentCallersEachGetAllTheirParts() throws Exception {
        int callers = 4;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 3000; rep++) {
                        assertEachOnce(runCounting(2 + rep % 3));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(60_000);
            assertTrue(!thread.isAlive(), "a caller did not finish");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
