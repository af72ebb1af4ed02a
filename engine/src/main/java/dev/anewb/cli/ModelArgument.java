package dev.anewb.cli;

import picocli.CommandLine.Parameters;

/** The MODEL positional argument shared by the commands (spec/cli.md). */
public final class ModelArgument {
    @Parameters(index = "0", paramLabel = "MODEL",
            description = "A model folder in Hugging Face layout, a config.json, a Hub id org/name[@revision] (from "
                    + "the Hugging Face cache, downloaded when missing unless HF_HUB_OFFLINE=1), or "
                            + "bundled:all-MiniLM-L6-v2.")
    public String model;
}
