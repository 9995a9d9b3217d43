package dev.autodiff.nn;

import dev.autodiff.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Reads the reference values PyTorch wrote (autodiff-nn/fixtures/generate.py and the other scripts beside it). */
final class TorchFixtures {
    private final Map<String, Tensor> arrays = new HashMap<>();

    TorchFixtures() {
        this("torch_reference.txt");
    }

    /** The arrays of the named files under fixtures/ in the test resources (a name in two files is an error). */
    TorchFixtures(String... files) {
        for (String file : files) {
            read(file);
        }
    }

    private void read(String file) {
        try (InputStream in = TorchFixtures.class.getResourceAsStream("/fixtures/" + file)) {
            if (in == null) {
                throw new IllegalStateException("fixtures/" + file + " is missing from the test resources");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split(" ");
                int[] shape = f[1].isEmpty() ? new int[0] : parseShape(f[1]); // an empty field: a scalar
                double[] v = new double[f.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(f[i + 2]);
                }
                if (arrays.put(f[0], shape.length == 0 ? Tensor.scalar(v[0]) : Tensor.fromArray(v, shape)) != null) {
                    throw new IllegalStateException("fixture " + f[0] + " is defined twice (in fixtures/" + file + ")");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] parseShape(String s) {
        String[] p = s.split(",");
        int[] shape = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            shape[i] = Integer.parseInt(p[i]);
        }
        return shape;
    }

    Tensor get(String name) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no fixture named " + name);
        }
        return t;
    }

    /** Every array's name, so that a test can say which fixtures it has not read. */
    java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(arrays.keySet());
    }

    boolean has(String name) {
        return arrays.containsKey(name);
    }

    int[] labels(String name) {
        double[] d = get(name).toArray();
        int[] l = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            l[i] = (int) d[i];
        }
        return l;
    }
}
