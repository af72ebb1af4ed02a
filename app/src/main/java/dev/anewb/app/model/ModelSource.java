package dev.anewb.app.model;

/**
 * A model the user can open from the Model area.
 *
 * @param label     what the list shows ("all-MiniLM-L6-v2")
 * @param reference what {@code anewb} takes as MODEL (bundled:NAME, org/name, a folder)
 * @param detail    one line under the label (where it is, whether it works offline)
 */
public record ModelSource(String label, String reference, String detail) { }
