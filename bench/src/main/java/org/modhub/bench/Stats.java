package org.modhub.bench;

import java.util.Arrays;
import java.util.List;

/** Medians and nearest-rank percentiles for the benchmarks' figures. */
final class Stats {
    private Stats() {
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Nearest-rank percentile {@code p} (1..100) of the values; NaN when there are none. */
    static double percentile(double[] v, int p) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int idx = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, idx))];
    }

    static double percentile(List<Double> v, int p) {
        return percentile(v.stream().mapToDouble(Double::doubleValue).toArray(), p);
    }

    /** Nearest-rank percentile of durations in nanoseconds, in milliseconds. */
    static double percentileMs(long[] nanos, int p) {
        return percentile(Arrays.stream(nanos).asDoubleStream().toArray(), p) / 1e6;
    }
}
