package dev.anewb.ane;

/** What occupies the on-chip buffer during an op (spec/ane-model.md "Cost model"); JSON keys of spec/cli.md. */
public enum BufferKind {
    WEIGHTS("weights"), ACTIVATIONS_IN("activations_in"), ACTIVATIONS_OUT("activations_out"), SCORES("scores"),
            KV_CACHE("kv_cache");

    private final String key;

    BufferKind(String key) { this.key = key; }

    public String key() { return key; }
}
