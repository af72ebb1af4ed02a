package dev.anewb.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.Conversion;

import java.util.Locale;

/**
 * spec/ane-model.md rule 3: per-block INT8 is not native on the ANE, per-channel is. When weights are present,
 * the accuracy of both is measured on the same sample input, so the user sees what going native costs.
 *
 * @param blockSqnrDb      last hidden state SQNR of the requested conversion
 * @param perChannelSqnrDb the same conversion with one block per row
 */
public record PerChannelAlternative(int blockSize, double blockSqnrDb, double perChannelSqnrDb) {

    public static PerChannelAlternative measure(ModelSession session, Conversion c, JobContext ctx) {
        ConvertedModel block = session.convert(c);
        Batch sample = block.sampleInput();
        double b = block.drift(sample, false, ctx).lastHidden().sqnrDb();
        ConvertedModel perChannel = session.convert(c.withInt8(true, Conversion.PER_CHANNEL, c.symmetric()));
        double p = perChannel.drift(sample, false, ctx).lastHidden().sqnrDb();
        return new PerChannelAlternative(c.blockSize(), b, p);
    }

    public String describe() {
        return String.format(Locale.ROOT,
                "rule 3 alternative (measured on the CPU, sample input): per-channel INT8 last-layer SQNR %.1f dB "
                + "vs block %d: %.1f dB (%+.1f dB for running natively on the ANE)", perChannelSqnrDb, blockSize,
                        blockSqnrDb,
                perChannelSqnrDb - blockSqnrDb);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("block_size", blockSize);
        o.put("block_sqnr_db", blockSqnrDb);
        o.put("per_channel_sqnr_db", perChannelSqnrDb);
        return o;
    }
}
