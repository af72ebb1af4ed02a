package dev.anewb.convert.coreml;

/** A named value of the program (a function input or an op output) and its type. */
record MilVar(String name, MilType type) implements MilBinding {
    long dim(int axis) { return type.dim(axis); }

    long[] shape() { return type.shape(); }

    int rank() { return type.rank(); }

    MilDataType dtype() { return type.dtype(); }
}
