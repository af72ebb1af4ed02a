package dev.anewb.app.ui;

import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.util.Subscription;

/**
 * A spinner kept equal to a view-model property both ways, whose typed text counts once the field loses focus,
 * not only on Enter. Each method returns the subscription the view drops when it closes.
 */
public final class SpinnerBinding {
    private SpinnerBinding() { }

    public static Subscription ofInt(Spinner<Integer> spinner, IntegerProperty value, int min, int max, int step) {
        var f = new SpinnerValueFactory.IntegerSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null && now != value.get()) value.set(now); });
        commitOnFocusLoss(spinner);
        return value.subscribe(v -> { if (!v.equals(f.getValue())) f.setValue(v.intValue()); });
    }

    public static Subscription ofDouble(Spinner<Double> spinner, DoubleProperty value, double min, double max,
                                        double step) {
        var f = new SpinnerValueFactory.DoubleSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null && now != value.get()) value.set(now); });
        commitOnFocusLoss(spinner);
        return value.subscribe(v -> { if (v.doubleValue() != f.getValue()) f.setValue(v.doubleValue()); });
    }

    /** A non-negative long (a seed) shown by an integer spinner. */
    public static Subscription ofLong(Spinner<Integer> spinner, LongProperty value) {
        var f = new SpinnerValueFactory.IntegerSpinnerValueFactory(0, Integer.MAX_VALUE, (int) value.get(), 1);
        spinner.setValueFactory(f);
        f.valueProperty().addListener((obs, old, now) -> { if (now != null) value.set(now); });
        commitOnFocusLoss(spinner);
        return value.subscribe(v -> { if (v.longValue() != f.getValue()) f.setValue(v.intValue()); });
    }

    /** Takes the typed text when the spinner loses focus; text that is no value shows the current one again. */
    public static <T> void commitOnFocusLoss(Spinner<T> spinner) {
        spinner.focusedProperty().addListener((obs, was, is) -> {
            if (is) return;
            try {
                T typed = spinner.getValueFactory().getConverter().fromString(spinner.getEditor().getText());
                spinner.getValueFactory().setValue(typed);
            } catch (RuntimeException e) {
                spinner.getEditor().setText(String.valueOf(spinner.getValue()));
            }
        });
    }
}
