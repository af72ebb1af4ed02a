package dev.anewb.convert.coreml;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation of the program (MIL.proto {@code Operation}): its type, arguments by parameter name (a tuple
 * parameter such as concat's {@code values} binds several), outputs and attributes ({@code name}, and for
 * {@code const} the value {@code val}).
 */
record MilOperation(String type, Map<String, List<MilBinding>> inputs, List<MilVar> outputs,
                    Map<String, MilValue> attributes) {
    MilOperation {
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        outputs = List.copyOf(outputs);
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    MilVar output() { return outputs.getFirst(); }
}
