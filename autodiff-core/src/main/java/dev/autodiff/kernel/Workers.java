package dev.autodiff.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads a split kernel runs on: the calling thread and {@code Threads.COUNT - 1} daemon workers,
 * shared by every caller. A kernel publishes its parts in one slot; the caller and the free workers
 * claim them one at a time until none is left, and the caller returns when all have finished.
 *
 * <p>Why not {@link java.util.concurrent.ForkJoinPool#commonPool()}: its idle workers park at once, and
 * waking a parked thread is slow on virtual machines such as this project's (measured: {@code unpark}
 * takes 15 us of the caller's time and the woken thread starts 25-30 us later). A training step runs
 * 20 or more split kernels back to back, each of a few hundred microseconds. So a worker here spins for
 * {@link #SPIN_NANOS} after its last part before it parks (yielding the core meanwhile to any other
 * runnable thread), as OpenMP's threads do, and a kernel that follows within that time starts on both
 * cores at once; the caller unparks only workers that parked.
 *
 * <p>Never oversubscribing: the slot holds one kernel at a time. A caller that finds it taken (another
 * thread's kernel is being split, so the workers are busy) runs all its parts itself, and a part that
 * splits a kernel of its own (running on a worker) runs that kernel's parts inline.
 */
final class Workers {
    private Workers() {}

    /** How long an idle worker spins before parking: {@code -Dautodiff.spinMicros}, read once; default 200 us. */
    static final long SPIN_NANOS = spinNanos();

    private static final AtomicReference<Job> SLOT = new AtomicReference<>();
    private static final Worker[] WORKERS = start(Threads.COUNT - 1);

    private static long spinNanos() {
        long micros = Long.getLong("autodiff.spinMicros", 200);
        if (micros < 0) {
            throw new IllegalArgumentException("autodiff.spinMicros must be at least 0, got " + micros);
        }
        return micros * 1000;
    }

    private static Worker[] start(int count) {
        Worker[] workers = new Worker[count];
        for (int i = 0; i < count; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
        return workers;
    }

    /** Runs {@code part.accept(p)} for p = 0 .. parts-1, spread over the workers and the calling thread. */
    static void run(int parts, IntConsumer part) {
        Job job = new Job(parts, part);
        if (parts > 1 && WORKERS.length > 0 && !(Thread.currentThread() instanceof Worker)
                && SLOT.compareAndSet(null, job)) {
            for (Worker w : WORKERS) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            job.work();
            SLOT.compareAndSet(job, null);
            job.awaitDone();
        } else {
            job.work();
        }
        job.rethrow();
    }

    /** One split kernel: its parts are claimed in order by whichever thread asks next. */
    private static final class Job {
        final int parts;
        final IntConsumer part;
        final Thread owner = Thread.currentThread();
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile boolean ownerParked;
        volatile Throwable failure;

        Job(int parts, IntConsumer part) {
            this.parts = parts;
            this.part = part;
        }

        boolean hasParts() {
            return next.get() < parts;
        }

        /** Claims and runs parts until none is left. */
        void work() {
            for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
                try {
                    part.accept(p);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    // done (volatile write) before ownerParked (volatile read); awaitDone does the reverse,
                    // so one of the two always sees the other's write and the owner is never left parked
                    if (done.incrementAndGet() == parts && ownerParked) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        /** Returns when every part has finished (the parts' writes are then visible to the caller). */
        void awaitDone() {
            long start = System.nanoTime();
            while (done.get() < parts) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    ownerParked = true;
                    if (done.get() < parts) {
                        LockSupport.park(this);
                    }
                    ownerParked = false;
                }
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException) {
                throw (RuntimeException) t;
            }
            if (t instanceof Error) {
                throw (Error) t;
            }
            if (t != null) {
                throw new IllegalStateException("a kernel part failed", t);
            }
        }
    }

    private static final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("autodiff-worker-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Job job = SLOT.get();
                if (job != null && job.hasParts()) {
                    job.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    // yield, not onSpinWait: when other threads are runnable (two models trained at once on
                    // two cores) an idle worker gives them the core; alone, yield returns at once
                    Thread.yield();
                } else {
                    // parked (volatile write) before the slot (volatile read); run does the reverse
                    parked = true;
                    job = SLOT.get();
                    if (job == null || !job.hasParts()) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
