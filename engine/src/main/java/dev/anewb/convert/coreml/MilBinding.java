package dev.anewb.convert.coreml;

/** What an op argument binds to: a named value of the program, or a value written into the op (MIL.proto Binding). */
sealed interface MilBinding permits MilVar, MilValue {
}
