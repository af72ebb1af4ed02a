package dev.anewb.app.layout;

import dev.anewb.app.shell.AreaViewModel;

import java.util.List;

/** State of the Layout area. Until models load it only describes what the area will hold. */
public final class LayoutViewModel extends AreaViewModel {
    public LayoutViewModel(dev.anewb.app.session.Session session) {
        super("Layout",
                "How tensors are laid out for the Neural Engine: the channel-first BC1S layout, padding added for alignment, and the transposes and reshapes the converter inserts.",
                List.of("Layout grid of each tensor",
                        "Padding overhead per tensor",
                        "Transposes and reshapes added by conversion"),
                "Load a model to see its tensor layouts.");
    }
}
