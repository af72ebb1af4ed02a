package dev.anewb.app.area;

import javafx.scene.Parent;

/** One area's view (controller of its FXML) as the shell sees it. */
public interface AreaView {
    /** The loaded FXML root. */
    Parent root();

    /** Drops the view's listeners and bindings; called when the window closes. */
    void dispose();
}
