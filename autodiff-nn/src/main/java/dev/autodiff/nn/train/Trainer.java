package dev.autodiff.nn.train;

import dev.autodiff.Autodiff;
import dev.autodiff.GradScope;
import dev.autodiff.Tensor;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.Module;
import dev.autodiff.nn.data.Batch;
import dev.autodiff.nn.data.DataLoader;
import dev.autodiff.nn.io.Checkpoints;
import dev.autodiff.nn.optim.Clipping;
import dev.autodiff.nn.optim.EarlyStopping;
import dev.autodiff.nn.optim.LrScheduler;
import dev.autodiff.nn.optim.Optimizer;
import dev.autodiff.nn.optim.ReduceLrOnPlateau;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The training loop of the common case, for a model on {@link Batch}es: epochs of training steps (forward, loss,
 * zeroGrad, backward, optional gradient clipping, optimizer step), then validation in evaluation mode without a
 * graph, metrics, a learning-rate schedule, early stopping, callbacks, a progress line, a {@link History}, and
 * an atomic checkpoint per epoch from which a later {@link #fit} resumes.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.classifier(model, new Adam(model.parameters().values(), 1e-3))
 *         .metrics(Metrics.topK(3))
 *         .earlyStopping("val_loss", 3, 0)
 *         .checkpoints(Path.of("target/run"));
 * History h = trainer.fit(trainLoader, validationLoader, 10);
 * h.plot(Path.of("target/run"), "");
 * }</pre>
 *
 * <p>Each epoch's row of the history holds "epoch", "train_loss" (the mean over the epoch's examples of the loss
 * at each step, as the step saw it), "train_&lt;metric&gt;", "val_loss" and "val_&lt;metric&gt;" with a validation
 * loader, "lr" (the rate the epoch used) and "seconds". A plain loop stays first-class: this class uses only the
 * public API a loop would.
 *
 * <p>Resume: with {@link #checkpoints(Path)}, each epoch ends by replacing {@code last.safetensors} there
 * (model, optimizer state, the epoch, the history, the schedule's position, and a description of the setup) and
 * {@code history.csv}. A later {@code fit} with the same setup loads it and goes on from the next epoch, and as the
 * loader's shuffle depends only on its seed and the epoch, the run continues as if never stopped: same batches,
 * same bits. A checkpoint from another setup (model, optimizer or its rate, data, metrics, schedules, clipping)
 * is refused with the differences, before anything is loaded. More epochs, or a larger patience, continue a
 * finished or early-stopped run. Not checkpointed: random generators inside modules (dropout masks: a resumed run
 * with dropout draws other masks) and the state of callbacks (a run a callback stopped continues when resumed).
 */
public final class Trainer {
    /** The model's output for a batch; by default {@code model.forward(batch.input())}. */
    @FunctionalInterface
    public interface Forward {
        Tensor apply(Module model, Batch batch);
    }

    /** The loss (a 0-dim tensor) of an output against its batch's targets. */
    @FunctionalInterface
    public interface Loss {
        Tensor apply(Tensor output, Batch batch);
    }

    /** Called after each epoch with its row of the history; returning false stops training after this epoch. */
    @FunctionalInterface
    public interface Callback {
        boolean afterEpoch(int epoch, Map<String, Double> row);
    }

    private static final String LAST = "last.safetensors";

    private final Module model;
    private final Optimizer optimizer;
    private final Loss loss;
    private Forward forward = (m, b) -> m.forward(b.input());
    private final List<Supplier<Metric>> metrics = new ArrayList<>();
    private final List<Callback> callbacks = new ArrayList<>();
    private LrScheduler scheduler;
    private ReduceLrOnPlateau plateau;
    private String plateauMetric;
    private String stopMetric;
    private int stopPatience;
    private double stopMinDelta;
    private boolean stopMaximize;
    private double clipNorm = Double.NaN;
    private Path checkpoints;
    private Progress progress = Progress.auto();

    private Trainer(Module model, Optimizer optimizer, Loss loss) {
        this.model = Objects.requireNonNull(model, "Trainer: model is null");
        this.optimizer = Objects.requireNonNull(optimizer, "Trainer: optimizer is null");
        this.loss = Objects.requireNonNull(loss, "Trainer: loss is null");
    }

    /** Trains {@code model} with {@code optimizer} on {@code loss}. */
    public static Trainer of(Module model, Optimizer optimizer, Loss loss) {
        return new Trainer(model, optimizer, loss);
    }

    /** A classifier: cross-entropy of the logits against the batch's labels (field 1), with accuracy. */
    public static Trainer classifier(Module model, Optimizer optimizer) {
        return new Trainer(model, optimizer, (out, b) -> Losses.crossEntropy(out, b.labels())).metrics(Metrics.accuracy());
    }

    /** How the model is run on a batch (for models that take more than field 0). */
    public Trainer forward(Forward forward) {
        this.forward = Objects.requireNonNull(forward, "Trainer.forward: forward is null");
        return this;
    }

    /** Adds metrics, each computed on training outputs and on validation. */
    @SafeVarargs
    public final Trainer metrics(Supplier<Metric>... more) {
        Objects.requireNonNull(more, "Trainer.metrics: metrics is null");
        for (Supplier<Metric> m : more) {
            metrics.add(Objects.requireNonNull(m, "Trainer.metrics: a metric is null"));
        }
        return this;
    }

    /** Steps {@code scheduler} after each epoch. */
    public Trainer scheduler(LrScheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "Trainer.scheduler: scheduler is null");
        return this;
    }

    /** Steps {@code plateau} after each epoch with the row's {@code metric} (such as "val_loss"). */
    public Trainer scheduler(ReduceLrOnPlateau plateau, String metric) {
        this.plateau = Objects.requireNonNull(plateau, "Trainer.scheduler: plateau is null");
        this.plateauMetric = Objects.requireNonNull(metric, "Trainer.scheduler: metric is null");
        return this;
    }

    /** Clips the gradients' joint L2 norm to {@code maxNorm} before each step (Clipping.clipGradNorm). */
    public Trainer clipGradNorm(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("Trainer.clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        }
        this.clipNorm = maxNorm;
        return this;
    }

    /**
     * Stops when {@code metric} (a column of the history, such as "val_loss") has not improved by more than
     * {@code minDelta} for {@code patience} epochs (EarlyStopping). A loss ("..._loss") is minimised, the library's
     * accuracies ("..._accuracy", "..._topK", "..._confusion") maximised; for any other metric say which, with
     * {@link #earlyStopping(String, int, double, boolean)}.
     */
    public Trainer earlyStopping(String metric, int patience, double minDelta) {
        Objects.requireNonNull(metric, "Trainer.earlyStopping: metric is null");
        String base = metric.replaceFirst("^(train|val)_", "");
        if (base.equals("loss")) {
            return earlyStopping(metric, patience, minDelta, false);
        }
        if (base.equals("accuracy") || base.equals("confusion") || base.matches("top[0-9]+")) {
            return earlyStopping(metric, patience, minDelta, true);
        }
        throw new IllegalArgumentException("Trainer.earlyStopping: is '" + metric + "' better higher or lower? Say so with "
                + "earlyStopping(metric, patience, minDelta, maximize)");
    }

    public Trainer earlyStopping(String metric, int patience, double minDelta, boolean maximize) {
        Objects.requireNonNull(metric, "Trainer.earlyStopping: metric is null");
        new EarlyStopping(patience, minDelta, maximize); // checks the arguments now
        this.stopMetric = metric;
        this.stopPatience = patience;
        this.stopMinDelta = minDelta;
        this.stopMaximize = maximize;
        return this;
    }

    /** Calls {@code callback} after each epoch. */
    public Trainer callback(Callback callback) {
        callbacks.add(Objects.requireNonNull(callback, "Trainer.callback: callback is null"));
        return this;
    }

    /** Checkpoints each epoch to {@code dir} (created if missing), and resumes from it; see the class comment. */
    public Trainer checkpoints(Path dir) {
        this.checkpoints = Objects.requireNonNull(dir, "Trainer.checkpoints: dir is null");
        return this;
    }

    /** Where progress goes; {@link Progress#auto()} by default, {@link Progress#none()} for silence. */
    public Trainer progress(Progress progress) {
        this.progress = Objects.requireNonNull(progress, "Trainer.progress: progress is null");
        return this;
    }

    /**
     * Trains until {@code epochs} epochs are done in all (counting those a checkpoint resumes), or early stopping
     * or a callback stops it; {@code validation} may be null. Returns the whole history.
     *
     * <p>Refused before anything changes: a loader with no batches, metric names that are not
     * {@code [A-Za-z0-9_]+}, repeat or are "loss", both an LrScheduler and a ReduceLrOnPlateau (closed-form
     * schedules would undo the plateau's cuts), and a checkpoint from another setup (see {@link #checkpoints}).
     * A loss that is NaN or infinite stops training with an exception naming the epoch and step, before that
     * step changes the parameters, so the model and the last checkpoint keep the last finite state.
     *
     * <p>The model is left in training mode. Without checkpoints, a second {@code fit} starts a new history at
     * epoch 1 from where the model, the optimizer and the schedules are now (they are not reset).
     */
    public History fit(DataLoader<Batch> train, DataLoader<Batch> validation, int epochs) throws IOException {
        Objects.requireNonNull(train, "Trainer.fit: train is null");
        if (epochs < 0) {
            throw new IllegalArgumentException("Trainer.fit: epochs must be >= 0, got " + epochs);
        }
        checkLoader("training", train);
        if (validation != null) {
            checkLoader("validation", validation);
        }
        checkMetricNames();
        if (scheduler != null && plateau != null) {
            throw new IllegalArgumentException("Trainer.fit: both an LrScheduler and a ReduceLrOnPlateau set the rate; the "
                    + "schedule's closed form would undo each plateau cut the next epoch, so use one of them");
        }
        String setup = setup(train, validation);
        History history = new History();
        if (checkpoints != null) {
            Files.createDirectories(checkpoints);
            Path last = checkpoints.resolve(LAST);
            if (Files.exists(last)) {
                // everything is checked before the load changes the model and the optimizer
                Map<String, String> meta = Checkpoints.extra(last);
                history = checkResumable(last, meta, setup);
                Checkpoints.load(last, model, optimizer);
                restoreSchedules(meta);
                progress.message("resuming from " + last + " after epoch " + history.size() + ", learning rate "
                        + optimizer.lr());
            }
        }
        boolean stopped = false;
        EarlyStopping stopping = stopMetric == null ? null : new EarlyStopping(stopPatience, stopMinDelta, stopMaximize);
        if (stopping != null) {
            for (Map<String, Double> row : history.rows()) { // replaying the history restores its state exactly
                stopped |= stopping.update(metric(row, stopMetric, "earlyStopping"));
            }
        }
        for (int epoch = history.size(); epoch < epochs && !stopped; epoch++) {
            long t0 = System.nanoTime();
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("epoch", (double) (epoch + 1));
            double lr = optimizer.lr();
            row.putAll(trainEpoch(train, epoch, epochs));
            if (validation != null) {
                evaluate(validation, "val_").forEach(row::put);
            }
            row.put("lr", lr);
            row.put("seconds", (System.nanoTime() - t0) / 1e9);
            history.add(row);
            if (stopping != null && stopping.update(metric(row, stopMetric, "earlyStopping"))) {
                stopped = true;
            }
            for (Callback c : callbacks) {
                stopped |= !c.afterEpoch(epoch + 1, history.last());
            }
            if (scheduler != null) {
                scheduler.step();
            }
            if (plateau != null) {
                plateau.step(metric(row, plateauMetric, "scheduler"));
            }
            if (checkpoints != null) {
                save(history, setup);
            }
        }
        return history;
    }

    private static void checkLoader(String which, DataLoader<Batch> loader) {
        if (loader.batches() == 0) {
            throw new IllegalArgumentException("Trainer.fit: the " + which + " loader has no batches (" + loader.size()
                    + " examples, batch size " + loader.batchSize() + (loader.size() > 0 ? ", drop-last" : "") + ")");
        }
    }

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_]+");

    private void checkMetricNames() {
        Set<String> names = new java.util.HashSet<>();
        for (Supplier<Metric> s : metrics) {
            String n = Objects.requireNonNull(s.get(), "Trainer: a metric supplier returned null").name();
            if (n == null || !NAME.matcher(n).matches() || n.equals("loss")) {
                throw new IllegalArgumentException("Trainer.fit: metric name '" + n + "' is not allowed; names are letters, "
                        + "digits and '_' (they are CSV columns), and 'loss' is the trainer's own");
            }
            if (!names.add(n)) {
                throw new IllegalArgumentException("Trainer.fit: two metrics are named '" + n + "'"
                        + (n.equals("accuracy") ? " (Trainer.classifier already adds accuracy)" : ""));
            }
        }
    }

    /**
     * What a checkpoint must have been written by for this fit to resume it: the model's tree, the optimizer
     * (and its rate, when no schedule changes it), the data (sizes, batching and the first epoch's order, which the shuffle seed
     * fixes), the metrics, the schedules, clipping and the early-stopping metric. Not the epoch count or the
     * patience: raising them continues a run.
     */
    private String setup(DataLoader<Batch> train, DataLoader<Batch> validation) {
        StringBuilder sb = new StringBuilder();
        sb.append("model: ").append(model.toString().replace('\n', '|')).append('\n');
        // the rate only without a schedule: with one, the optimizer's rate at this point depends on whether it was
        // made afresh or has trained already, and the checkpoint's rate is the schedule's current value anyway
        sb.append("optimizer: ").append(optimizer.getClass().getSimpleName()).append(" over ").append(optimizer.paramCount())
                .append(" parameters").append(scheduler == null && plateau == null ? ", lr " + optimizer.lr() : "").append('\n');
        sb.append("training data: ").append(train.size()).append(" examples, batch size ").append(train.batchSize())
                .append(", ").append(train.batches()).append(" batches, order ")
                .append(Integer.toHexString(java.util.Arrays.hashCode(train.order(0)))).append('\n');
        sb.append("validation data: ").append(validation == null ? "none" : validation.size() + " examples").append('\n');
        List<String> names = new ArrayList<>();
        metrics.forEach(m -> names.add(m.get().name()));
        sb.append("metrics: ").append(names).append('\n');
        sb.append("schedule: ").append(scheduler != null ? "LrScheduler" : plateau != null ? "ReduceLrOnPlateau on "
                + plateauMetric : "none").append('\n');
        sb.append("clipping: ").append(Double.isNaN(clipNorm) ? "none" : clipNorm).append('\n');
        sb.append("early stopping on: ").append(stopMetric == null ? "none" : stopMetric).append('\n');
        return sb.toString();
    }

    /** The mean loss and the metrics over {@code data}, in evaluation mode and without a graph. */
    public Map<String, Double> evaluate(DataLoader<Batch> data) {
        return evaluate(data, "");
    }

    private Map<String, Double> evaluate(DataLoader<Batch> data, String prefix) {
        Objects.requireNonNull(data, "Trainer.evaluate: data is null");
        List<Metric> ms = fresh();
        boolean wasTraining = model.isTraining();
        double lossSum = 0;
        long examples = 0;
        model.eval();
        try (GradScope s = Autodiff.noGrad()) {
            for (Batch b : data.epoch(0)) {
                Tensor out = forward.apply(model, b);
                lossSum += scalar(loss.apply(out, b)) * b.size();
                examples += b.size();
                for (Metric m : ms) {
                    m.update(out, b);
                }
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return row(prefix, lossSum, examples, ms);
    }

    private Map<String, Double> trainEpoch(DataLoader<Batch> train, int epoch, int epochs) {
        List<Metric> ms = fresh();
        List<Tensor> params = optimizer.parameters();
        model.train();
        Progress.Task task = progress.start("epoch " + (epoch + 1) + "/" + epochs, train.batches());
        long start = System.nanoTime();
        double lossSum = 0;
        long examples = 0;
        int step = 0;
        for (Batch b : train.epoch(epoch)) {
            Tensor out = forward.apply(model, b);
            Tensor l = loss.apply(out, b);
            double value = scalar(l);
            if (!Double.isFinite(value)) {
                throw new IllegalStateException("Trainer.fit: the loss is " + value + " at epoch " + (epoch + 1) + ", step "
                        + (step + 1) + "; training stops before this step changes the parameters (lower the learning rate, "
                        + "clip the gradients, or check the data)");
            }
            model.zeroGrad(); // the model's too: a parameter the optimizer does not own must not pile up gradients
            optimizer.zeroGrad();
            l.backward();
            if (!Double.isNaN(clipNorm)) {
                Clipping.clipGradNorm(params, clipNorm);
            }
            optimizer.step();
            lossSum += value * b.size();
            examples += b.size();
            Tensor detached = out.detach();
            for (Metric m : ms) {
                m.update(detached, b);
            }
            step++;
            task.update(step, status(lossSum, examples, start));
        }
        Map<String, Double> row = row("train_", lossSum, examples, ms);
        task.done(status(lossSum, examples, start));
        return row;
    }

    private static String status(double lossSum, long examples, long start) {
        double seconds = (System.nanoTime() - start) / 1e9;
        return String.format(java.util.Locale.ROOT, "loss %.4f  %,.0f examples/s", lossSum / Math.max(1, examples), examples / Math.max(seconds, 1e-9));
    }

    private List<Metric> fresh() {
        List<Metric> ms = new ArrayList<>();
        for (Supplier<Metric> s : metrics) {
            Metric m = Objects.requireNonNull(s.get(), "Trainer: a metric supplier returned null");
            m.reset();
            ms.add(m);
        }
        return ms;
    }

    private static Map<String, Double> row(String prefix, double lossSum, long examples, List<Metric> ms) {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put(prefix + "loss", examples == 0 ? Double.NaN : lossSum / examples);
        for (Metric m : ms) {
            row.put(prefix + m.name(), m.value());
        }
        return row;
    }

    private static double scalar(Tensor loss) {
        Objects.requireNonNull(loss, "Trainer: the loss function returned null");
        if (loss.size() != 1) {
            throw new IllegalArgumentException("Trainer: the loss must be a single number, got shape "
                    + java.util.Arrays.toString(loss.shape()));
        }
        return loss.item();
    }

    private static double metric(Map<String, Double> row, String name, String who) {
        Double v = row.get(name);
        if (v == null) {
            throw new IllegalArgumentException("Trainer." + who + ": no metric '" + name + "' in the epoch's row " + row.keySet()
                    + (name.startsWith("val_") ? " (is there a validation loader?)" : ""));
        }
        return v;
    }

    private void save(History history, String setup) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("history", history.toCsv());
        meta.put("setup", setup);
        if (scheduler != null) {
            meta.put("scheduler.epoch", Integer.toString(scheduler.epoch()));
        }
        if (plateau != null) {
            double[] s = plateau.state();
            meta.put("plateau", s[0] + "," + s[1] + "," + s[2] + "," + s[3]);
        }
        Checkpoints.save(checkpoints.resolve(LAST), model, optimizer, meta);
        history.writeCsv(checkpoints.resolve("history.csv"));
    }

    /** Checks a checkpoint's trainer metadata against this fit and returns its history; changes nothing. */
    private History checkResumable(Path last, Map<String, String> meta, String setup) {
        String where = "Trainer.fit: cannot resume from " + last + ": ";
        String csv = meta.get("history");
        if (csv == null) {
            throw new IllegalArgumentException(where + "it holds no training history (was it written by Checkpoints.save "
                    + "rather than a Trainer?)");
        }
        String theirs = meta.getOrDefault("setup", "");
        if (!theirs.equals(setup)) {
            List<String> a = List.of(theirs.split("\n"));
            List<String> b = List.of(setup.split("\n"));
            StringBuilder diff = new StringBuilder();
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                String x = i < a.size() ? a.get(i) : "";
                String y = i < b.size() ? b.get(i) : "";
                if (!x.equals(y)) {
                    diff.append("\n  checkpoint ").append(x.replace('|', ' ')).append("\n  this fit   ").append(y.replace('|', ' '));
                }
            }
            throw new IllegalArgumentException(where + "it was written by another setup; resume with the same one, or "
                    + "checkpoint to another folder (or delete this one) to start afresh:" + diff);
        }
        History history;
        try {
            history = History.fromCsv(csv);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (scheduler != null) {
            String e = meta.get("scheduler.epoch");
            if (e == null || !e.matches("0|[1-9][0-9]{0,8}")) {
                throw new IllegalArgumentException(where + "its scheduler.epoch is " + (e == null ? "missing" : "'" + e + "'"));
            }
        }
        if (plateau != null) {
            plateauState(where, meta.get("plateau"));
        }
        if (stopMetric != null) {
            for (Map<String, Double> row : history.rows()) {
                metric(row, stopMetric, "earlyStopping");
            }
        }
        return history;
    }

    private double[] plateauState(String where, String p) {
        String[] parts = p == null ? new String[0] : p.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException(where + "bad or missing plateau state '" + p + "'");
        }
        double[] v = new double[4];
        try {
            for (int i = 0; i < 4; i++) {
                v[i] = Double.parseDouble(parts[i]);
            }
            new ReduceLrOnPlateau(optimizer, v[3] == 1).loadState(v); // checks it, on a scratch object
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(where + "bad plateau state '" + p + "': " + ex.getMessage(), ex);
        }
        return v;
    }

    /** After the load: the schedule's position and the plateau's counters (all checked before). */
    private void restoreSchedules(Map<String, String> meta) {
        if (scheduler != null) {
            double lr = optimizer.lr(); // the checkpoint's rate, which the schedule recomputes
            scheduler.setEpoch(Integer.parseInt(meta.get("scheduler.epoch")));
            optimizer.setLr(lr);
        }
        if (plateau != null) {
            plateau.loadState(plateauState("", meta.get("plateau")));
        }
    }
}
