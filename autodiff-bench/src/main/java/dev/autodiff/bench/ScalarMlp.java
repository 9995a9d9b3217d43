package dev.autodiff.bench;

import java.util.SplittableRandom;

/** The 2-H-H-1 tanh MLP in plain doubles with a hand-written backward pass: the benchmark's baseline. */
final class ScalarMlp {
    final int h;
    final double[][] w1;
    final double[] b1;
    final double[][] w2;
    final double[] b2;
    final double[] w3;
    double b3;
    // gradients
    final double[][] gw1;
    final double[] gb1;
    final double[][] gw2;
    final double[] gb2;
    final double[] gw3;
    double gb3;

    ScalarMlp(int h, long seed) {
        this.h = h;
        SplittableRandom r = new SplittableRandom(seed);
        w1 = new double[h][2];
        b1 = new double[h];
        w2 = new double[h][h];
        b2 = new double[h];
        w3 = new double[h];
        gw1 = new double[h][2];
        gb1 = new double[h];
        gw2 = new double[h][h];
        gb2 = new double[h];
        gw3 = new double[h];
        for (int i = 0; i < h; i++) {
            w1[i][0] = r.nextGaussian() * 0.5;
            w1[i][1] = r.nextGaussian() * 0.5;
            b1[i] = r.nextGaussian() * 0.1;
            for (int j = 0; j < h; j++) {
                w2[i][j] = r.nextGaussian() / Math.sqrt(h);
            }
            b2[i] = r.nextGaussian() * 0.1;
            w3[i] = r.nextGaussian() / Math.sqrt(h);
        }
        b3 = 0.0;
    }

    double lossAndGradient(double[][] xs, double[] ts) {
        for (int i = 0; i < h; i++) {
            java.util.Arrays.fill(gw1[i], 0);
            java.util.Arrays.fill(gw2[i], 0);
        }
        java.util.Arrays.fill(gb1, 0);
        java.util.Arrays.fill(gb2, 0);
        java.util.Arrays.fill(gw3, 0);
        gb3 = 0;
        double loss = 0;
        double[] a1 = new double[h];
        double[] a2 = new double[h];
        double[] d2 = new double[h];
        for (int p = 0; p < xs.length; p++) {
            double[] x = xs[p];
            for (int i = 0; i < h; i++) {
                a1[i] = Math.tanh(b1[i] + w1[i][0] * x[0] + w1[i][1] * x[1]);
            }
            double out = b3;
            for (int i = 0; i < h; i++) {
                double s = b2[i];
                for (int j = 0; j < h; j++) {
                    s += w2[i][j] * a1[j];
                }
                a2[i] = Math.tanh(s);
                out += w3[i] * a2[i];
            }
            double d = out - ts[p];
            loss += d * d;
            double gOut = 2 * d;
            gb3 += gOut;
            for (int i = 0; i < h; i++) {
                gw3[i] += gOut * a2[i];
                d2[i] = gOut * w3[i] * (1 - a2[i] * a2[i]);
                gb2[i] += d2[i];
            }
            for (int j = 0; j < h; j++) {
                double g = 0;
                for (int i = 0; i < h; i++) {
                    gw2[i][j] += d2[i] * a1[j];
                    g += d2[i] * w2[i][j];
                }
                double d1 = g * (1 - a1[j] * a1[j]);
                gb1[j] += d1;
                gw1[j][0] += d1 * x[0];
                gw1[j][1] += d1 * x[1];
            }
        }
        return loss + gw1[0][0];
    }
}
