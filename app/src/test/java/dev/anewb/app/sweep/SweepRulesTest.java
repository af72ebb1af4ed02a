package dev.anewb.app.sweep;

import dev.anewb.model.Conversion;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The sweep's configurations and its Pareto front, by the definition (no toolkit). */
class SweepRulesTest {
    private static SweepViewModel.Point p(int block, double db, long bytes, double ms) {
        return new SweepViewModel.Point(Conversion.ANE_DEFAULT.withInt8(true, block, false), db, Double.NaN, "",
                bytes, ms, false);
    }

    @Test void everyBlockSizeAndPerChannelOfTheCurrentConfiguration() {
        List<Conversion> c = SweepViewModel.configurations(Conversion.ANE_DEFAULT);
        assertEquals(List.of(16, 32, 64, 128, 256, Conversion.PER_CHANNEL),
                c.stream().map(Conversion::blockSize).toList());
        assertTrue(c.stream().allMatch(x -> x.precision() == Conversion.Precision.FP16 && !x.chunked()));
        List<Conversion> chunked = SweepViewModel.configurations(Conversion.ANE_DEFAULT.withChunking(64, 16));
        assertEquals(18, chunked.size(), "half, the same and twice the window at each block size");
        assertEquals(List.of(32, 64, 128), chunked.subList(0, 3).stream().map(Conversion::chunkWindow).toList());
        assertTrue(SweepViewModel.configurations(Conversion.ORIGINAL).stream().allMatch(Conversion::int8),
                "a sweep of a float configuration sweeps its INT8 block sizes");
    }

    @Test void theFrontIsWhatNothingBeatsOnBothAxes() {
        List<SweepViewModel.Point> all = List.of(p(16, 39.5, 400, 2), p(32, 37.3, 300, 2), p(64, 36.0, 350, 2),
                p(128, 35.6, 250, 2), p(Conversion.PER_CHANNEL, 32.9, 250, 2));
        List<SweepViewModel.Point> f = SweepViewModel.front(all, SweepViewModel.Metric.SQNR,
                SweepViewModel.Cost.WEIGHTS);
        assertEquals(List.of(true, true, false, true, false), f.stream().map(SweepViewModel.Point::pareto).toList(),
                "b64 costs more than b32 and is less accurate; per-channel weighs as much as b128 and is worse");
        // on latency every point costs the same: only the most accurate is on the front
        List<SweepViewModel.Point> byLatency = SweepViewModel.front(all, SweepViewModel.Metric.SQNR,
                SweepViewModel.Cost.LATENCY);
        assertEquals(1, byLatency.stream().filter(SweepViewModel.Point::pareto).count());
        assertTrue(byLatency.getFirst().pareto());
    }
}
