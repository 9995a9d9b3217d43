package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.autodiff.Autodiff;
import dev.autodiff.Fn;
import dev.autodiff.Graph;
import dev.autodiff.Linalg;
import dev.autodiff.Tensor;
import dev.autodiff.nn.optim.Clipping;
import dev.autodiff.nn.optim.Schedules;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Random calls of every public {@link Tensor} method, of {@link Linalg} and of nn's functions ({@link Activations},
 * {@link Losses}, {@link Init}, clipping, schedules) with hostile arguments: negative, huge and
 * {@code Integer.MIN_VALUE} sizes, axes and indices, NaN and infinite scalars, shapes that do not broadcast, empty
 * and rank-0 tensors, non-integer indices, einsum equations and mode strings valid and malformed, and nulls. Every call must either return a well-formed tensor or throw
 * IllegalArgumentException / IllegalStateException whose message starts with the name of the method called
 * ("slice: ...", or "Init.uniform: ..."), or a NullPointerException for a null argument whose message names
 * the method; never an exception from deep inside (index out of bounds, negative array size, arithmetic, out
 * of memory) or a JVM text. It lives in nn's tests so that it reaches both modules' public API.
 */
class BadInputFuzzTest {
    private static final int CALLS = Integer.getInteger("autodiff.fuzzCalls", 30_000);
    // no value that is valid but needs more memory than a test JVM has: 2^20 alone is 8 MB, 65536^2 overflows
    private static final int[] INTS = {0, 1, 2, 3, -1, -2, -3, 5, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Integer.MIN_VALUE / 2, 1 << 20};
    // 3e10, not 3e9: arange(0.6, 3e9, 1.7) is a valid 1.7e9-element tensor (14 GB), which only runs out of memory;
    // 3e10 is past 2^31 for every step the fuzzer draws below 14
    private static final double[] DOUBLES = {0, 1, -1, 0.5, 2, -0.0, 3e10, 1e300, -1e300, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE};

    private static final List<Class<?>> SUPPORTED = List.of(int.class, long.class, double.class, boolean.class,
            int[].class, double[].class, Tensor.class, Tensor[].class, java.util.Collection.class,
            Reduction.class, int[][].class, String.class);

    /** Strings for einsum equations and the mode / uplo / ord arguments: valid ones, near misses and garbage. */
    private static final String[] STRINGS = {"", "ij,jk->ik", "ij,jk", "ii", "ii->i", "i,i", "i,i->", "...ij->...ji",
        "...", "ab->c", "a->aa", "->", "ij->", "ij,ij->ij", "bij,bjk->bik", "a,b,c->abc", "i..j", "ij-", "-> ij",
        "IJ,JK->IK", "!!", "a b", "L", "U", "l", "reduced", "complete", "r", "fro", "nuc", "inf", "2", "x"};

    /** Public methods of Tensor, and the public static functions of nn, whose parameters the fuzzer can make. */
    private static List<Method> methods() {
        List<Method> out = new ArrayList<>();
        for (Class<?> c : List.of(Tensor.class, Linalg.class, Activations.class, Losses.class, Init.class, Clipping.class,
                Schedules.class)) {
            for (Method m : c.getDeclaredMethods()) {
                boolean usable = Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()
                        && (c == Tensor.class || Modifier.isStatic(m.getModifiers()))
                        && Arrays.stream(m.getParameterTypes()).allMatch(SUPPORTED::contains)
                        && !List.of("toString", "equals", "hashCode").contains(m.getName());
                if (usable) {
                    out.add(m);
                }
            }
        }
        out.sort(Comparator.comparing(Method::toString)); // reflection's order is unspecified: fix it for the seed
        return out;
    }

    private static int anInt(SplittableRandom r) {
        return r.nextInt(3) == 0 ? INTS[r.nextInt(INTS.length)] : r.nextInt(-2, 4);
    }

    private static int[] ints(SplittableRandom r) {
        int[] a = new int[r.nextInt(5)];
        for (int i = 0; i < a.length; i++) {
            a[i] = anInt(r);
        }
        return a;
    }

    private static double aDouble(SplittableRandom r) {
        return r.nextBoolean() ? DOUBLES[r.nextInt(DOUBLES.length)] : r.nextGaussian();
    }

    private static final int[][] SHAPES = {{}, {1}, {3}, {0}, {2, 3}, {3, 1}, {1, 3}, {0, 2}, {2, 0}, {2, 1, 3},
        {1, 2, 2, 3}, {2, 2, 3, 3}, {3, 3}, {1, 1}};

    /** A fresh tensor (the call may mark or update it): normal values, whole numbers for index use, or specials. */
    private static Tensor aTensor(SplittableRandom r) {
        int[] s = SHAPES[r.nextInt(SHAPES.length)];
        double[] v = new double[Arrays.stream(s).reduce(1, (x, y) -> x * y)];
        int kind = r.nextInt(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = kind == 0 ? r.nextInt(-1, 4) + (r.nextInt(6) == 0 ? 0.5 : 0) : kind == 1 ? aDouble(r) : r.nextGaussian();
        }
        Tensor t = s.length == 0 ? Tensor.scalar(v[0]) : Tensor.fromArray(v, s);
        if (r.nextInt(4) == 0) {
            t = t.to(dev.autodiff.DType.FLOAT32); // every op takes either dtype
        }
        return r.nextInt(4) == 0 ? t.requiresGrad() : t;
    }

    private static Object arg(Class<?> type, SplittableRandom r) {
        boolean nul = !type.isPrimitive() && r.nextInt(12) == 0;
        if (nul) {
            return null;
        }
        if (type == int.class) {
            return anInt(r);
        } else if (type == long.class) {
            return r.nextLong();
        } else if (type == double.class) {
            return aDouble(r);
        } else if (type == boolean.class) {
            return r.nextBoolean();
        } else if (type == int[].class) {
            return ints(r);
        } else if (type == double[].class) {
            double[] d = new double[r.nextInt(7)];
            for (int i = 0; i < d.length; i++) {
                d[i] = aDouble(r);
            }
            return d;
        } else if (type == Tensor.class) {
            return aTensor(r);
        } else if (type == java.util.Collection.class) {
            List<Tensor> ts = new ArrayList<>();
            for (int i = r.nextInt(4); i > 0; i--) {
                ts.add(r.nextInt(15) == 0 ? null : aTensor(r));
            }
            return ts;
        } else if (type == String.class) {
            return STRINGS[r.nextInt(STRINGS.length)];
        } else if (type == Reduction.class) {
            return Reduction.values()[r.nextInt(Reduction.values().length)];
        } else if (type == int[][].class) {
            int[][] a = new int[r.nextInt(4)][];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(15) == 0 ? null : ints(r);
            }
            return a;
        } else if (type == Tensor[].class) {
            Tensor[] ts = new Tensor[r.nextInt(4)];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = r.nextInt(15) == 0 ? null : aTensor(r);
            }
            return ts;
        }
        throw new AssertionError("no generator for " + type);
    }

    private static String describe(Object o) {
        if (o instanceof int[]) {
            return Arrays.toString((int[]) o);
        } else if (o instanceof double[]) {
            return Arrays.toString((double[]) o);
        } else if (o instanceof Tensor[]) {
            return Arrays.toString((Tensor[]) o);
        } else if (o instanceof int[][]) {
            return Arrays.deepToString((int[][]) o);
        }
        return String.valueOf(o);
    }

    @Test
    void everyCallReturnsOrThrowsAClearError() throws IllegalAccessException {
        List<Method> methods = methods();
        assertTrue(methods.size() > 150, "found the public methods: " + methods.size());
        SplittableRandom root = new SplittableRandom(Long.getLong("autodiff.fuzzSeed", 20261202L));
        List<String> failures = new ArrayList<>();
        TreeMap<String, Integer> thrown = new TreeMap<>();
        for (int call = 0; call < CALLS && failures.size() < 20; call++) {
            long seed = root.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Method m = methods.get(r.nextInt(methods.size()));
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                args[i] = arg(types[i], r);
            }
            Tensor self = Modifier.isStatic(m.getModifiers()) ? null : aTensor(r);
            String what = "call " + call + " (seed " + seed + "): " + (self == null ? m.getDeclaringClass().getSimpleName() : self)
                    + "." + m.getName()
                    + Arrays.stream(args).map(BadInputFuzzTest::describe).toList();
            try {
                Object result = m.invoke(self, args);
                if (result instanceof Tensor) {
                    Tensor t = (Tensor) result;
                    long n = 1;
                    for (int d : t.shape()) {
                        n *= d;
                    }
                    if (Arrays.stream(t.shape()).anyMatch(d -> d < 0) || n != t.size()) {
                        failures.add(what + "\n    returned a tensor of shape " + Arrays.toString(t.shape()) + " and size " + t.size());
                    }
                }
            } catch (InvocationTargetException e) {
                Throwable c = e.getCause();
                String msg = String.valueOf(c.getMessage());
                boolean typeOk = c instanceof IllegalArgumentException || c instanceof IllegalStateException
                        || c instanceof NullPointerException;
                String qualified = m.getDeclaringClass().getSimpleName() + "." + m.getName();
                // a module factory (Activations.elu(alpha)) may name the module it makes ("ELU: ...")
                String lower = msg.toLowerCase(java.util.Locale.ROOT);
                boolean named = lower.startsWith(m.getName().toLowerCase(java.util.Locale.ROOT) + ":")
                        || msg.startsWith(qualified + ":")
                        || (c instanceof NullPointerException && msg.contains(m.getName()));
                boolean nullGiven = Arrays.stream(args).anyMatch(a -> a == null
                        || (a instanceof Tensor[] && Arrays.asList((Tensor[]) a).contains(null))
                        || (a instanceof int[][] && Arrays.asList((int[][]) a).contains(null))
                        || (a instanceof List && ((List<?>) a).contains(null)));
                if (!typeOk || !named || (c instanceof NullPointerException && !nullGiven)) {
                    failures.add(what + "\n    threw " + c);
                }
                thrown.merge(c.getClass().getSimpleName(), 1, Integer::sum);
            } catch (OutOfMemoryError e) {
                failures.add(what + "\n    threw " + e);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " bad outcomes (first ones listed):\n" + String.join("\n", failures));
        }
        assertTrue(thrown.getOrDefault("IllegalArgumentException", 0) > CALLS / 10,
                "the fuzzer reaches the argument checks: " + thrown);
    }

    /** A few functions of one or more tensors for the transforms: valid on some inputs, failing on others. */
    private static final List<Fn> FNS = List.of(
            xs -> xs[0],
            xs -> xs[0].tanh().sum(),
            xs -> xs[0].mul(xs[xs.length - 1]),
            xs -> xs[0].matmul(xs[xs.length - 1]),
            xs -> xs[0].exp().sum(0),
            xs -> null,
            xs -> xs[0].detach(),
            xs -> xs[0].sort(-1, false).values().sum());

    /** One of FNS; given no tensors it returns a constant (an exception of the function's own is not the library's). */
    private static Fn aFnOf(SplittableRandom r) {
        Fn f = FNS.get(r.nextInt(FNS.size()));
        return xs -> xs == null || xs.length == 0 ? Tensor.scalar(1) : f.apply(xs);
    }

    private static Fn aFn(SplittableRandom r) {
        return aFnOf(r);
    }

    private static Tensor[] tensors(SplittableRandom r) {
        Tensor[] ts = new Tensor[r.nextInt(4)];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = r.nextInt(20) == 0 ? null : aTensor(r);
        }
        return ts;
    }

    /**
     * Random calls of Autodiff's transforms (argnums, vmap's axes, jvp's tangents, ...) with the functions above and
     * hostile arguments, and of the functions they return. Each returns or throws a clear error naming an op
     * ("vmap: ...", or the op inside the function that refused its input), never an exception from inside.
     */
    @Test
    void transformsReturnOrThrowAClearError() throws IllegalAccessException {
        List<Method> methods = new ArrayList<>();
        for (Method m : Autodiff.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && !m.isSynthetic()) {
                methods.add(m);
            }
        }
        methods.sort(Comparator.comparing(Method::toString));
        SplittableRandom root = new SplittableRandom(Long.getLong("autodiff.fuzzSeed", 20261204L));
        List<String> failures = new ArrayList<>();
        java.util.regex.Pattern named = java.util.regex.Pattern.compile("^([A-Za-z][\\w.]*( [a-z]+)?|customOp '\\w+'): .*", java.util.regex.Pattern.DOTALL);
        for (int call = 0; call < CALLS / 3 && failures.size() < 20; call++) {
            long seed = root.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Method m = methods.get(r.nextInt(methods.size()));
            Class<?>[] types = m.getParameterTypes();
            Object[] args = new Object[types.length];
            for (int i = 0; i < args.length; i++) {
                Class<?> t = types[i];
                if (t == Fn.class) {
                    args[i] = aFn(r);
                } else if (t == dev.autodiff.FnN.class) {
                    Fn f = aFn(r);
                    args[i] = (dev.autodiff.FnN) xs -> new Tensor[] {f.apply(xs), f.apply(xs)};
                } else if (t == java.util.function.Function.class) {
                    Fn f = aFn(r);
                    args[i] = (java.util.function.Function<Tensor, Tensor>) x -> f.apply(x);
                } else if (t == Integer[].class) {
                    Integer[] axes = new Integer[r.nextInt(4)];
                    for (int j = 0; j < axes.length; j++) {
                        axes[j] = r.nextInt(4) == 0 ? null : anInt(r);
                    }
                    args[i] = axes;
                } else if (t == Tensor[].class) {
                    args[i] = tensors(r);
                } else if (SUPPORTED.contains(t)) {
                    args[i] = arg(t, r);
                } else {
                    args[i] = null;
                }
            }
            String what = "call " + call + " (seed " + seed + "): Autodiff." + m.getName()
                    + Arrays.stream(args).map(BadInputFuzzTest::describe).toList();
            try {
                Object result;
                try {
                    result = m.invoke(null, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                // the functions the transforms return are called too
                if (result instanceof Fn) {
                    ((Fn) result).apply(tensors(r));
                } else if (result instanceof dev.autodiff.FnN) {
                    ((dev.autodiff.FnN) result).apply(tensors(r));
                } else if (result instanceof java.util.function.Function) {
                    @SuppressWarnings("unchecked")
                    java.util.function.Function<Tensor, Tensor> f = (java.util.function.Function<Tensor, Tensor>) result;
                    f.apply(aTensor(r));
                } else if (result instanceof AutoCloseable) {
                    ((AutoCloseable) result).close();
                }
            } catch (IllegalArgumentException | IllegalStateException | NullPointerException
                     | UnsupportedOperationException e) {
                if (!named.matcher(String.valueOf(e.getMessage())).matches()) {
                    failures.add(what + "\n    threw " + e);
                }
            } catch (Throwable e) {
                failures.add(what + "\n    threw " + e);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " bad outcomes (first ones listed):\n" + String.join("\n", failures));
        }
    }

    /** The transforms and tools name themselves for a null function, input, tangent, or a function returning null. */
    @Test
    void nullsToTheTransformsNameTheEntryPoint() {
        Tensor x = Tensor.scalar(1.0);
        java.util.function.Function<Tensor, Tensor> id = t -> t;
        Fn fn = xs -> xs[0];
        Object[][] calls = {
            {"jvp", (Runnable) () -> Autodiff.jvp(null, x, x)},
            {"jvp", (Runnable) () -> Autodiff.jvp(id, null, x)},
            {"jvp", (Runnable) () -> Autodiff.jvp(id, x, null)},
            {"jvp", (Runnable) () -> Autodiff.jvp(fn, new Tensor[] {null}, new Tensor[] {x})},
            {"jvp", (Runnable) () -> Autodiff.jvp(t -> null, x, x)},
            {"valueAndGrad", (Runnable) () -> Autodiff.valueAndGrad(null, x)},
            {"valueAndGrad", (Runnable) () -> Autodiff.valueAndGrad(fn, (Tensor) null)},
            {"valueAndGrad", (Runnable) () -> Autodiff.valueAndGrad(xs -> null, x)},
            {"vjp", (Runnable) () -> Autodiff.vjp(fn, (Tensor[]) null)},
            {"pullback", (Runnable) () -> Autodiff.vjp(fn, x).pullback(null)},
            {"gradient", (Runnable) () -> Autodiff.gradient(null)},
            {"jacrev", (Runnable) () -> Autodiff.jacrev(id, null)},
            {"jacfwd", (Runnable) () -> Autodiff.jacfwd(null, x)},
            {"hessian", (Runnable) () -> Autodiff.hessian(id, null)},
            {"hvp", (Runnable) () -> Autodiff.hvp(id, x, null)},
            {"grad", (Runnable) () -> Autodiff.grad(null, x)},
            {"grad", (Runnable) () -> Autodiff.grad(x.requiresGrad().mul(2), (Tensor) null)},
            {"Graph.of", (Runnable) () -> Graph.of(null)},
            {"GradCheck.of", (Runnable) () -> dev.autodiff.check.GradCheck.of(null)},
            {"GradCheck.check", (Runnable) () -> dev.autodiff.check.GradCheck.of(fn).check((Tensor) null)},
        };
        for (Object[] c : calls) {
            String op = (String) c[0];
            NullPointerException e = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                    ((Runnable) c[1])::run, op);
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(op + ":"), op + ": " + e.getMessage());
        }
    }
}
