package dev.anewb.app.ui;

import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;

/** Loads an FXML file that sits next to its controller's class (src-fxml mirrors the package path). */
public final class Fxml {
    private Fxml() { }

    /**
     * Loads {@code fileName} from the controller's package with {@code controller} as its (already built) controller.
     */
    public static Parent load(Object controller, String fileName) {
        URL url = controller.getClass().getResource(fileName);
        if (url == null) {
            throw new IllegalStateException("missing FXML " + controller.getClass().getPackageName().replace('.', '/')
                    + "/" + fileName);
        }
        FXMLLoader loader = new FXMLLoader(url);
        // The FXML names its controller class for tooling; the factory hands over the instance that holds the view
        // model.
        loader.setControllerFactory(type -> {
            if (!type.isInstance(controller)) {
                throw new IllegalStateException(url + " wants " + type.getName() + ", got "
                        + controller.getClass().getName());
            }
            return controller;
        });
        try {
            return loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException(url + ": " + e.getMessage(), e);
        }
    }
}
