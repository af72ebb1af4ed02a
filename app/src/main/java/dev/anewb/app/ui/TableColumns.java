package dev.anewb.app.ui;

import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.scene.control.TableColumn;
import javafx.scene.text.Font;
import javafx.scene.text.FontWeight;
import javafx.scene.text.Text;

import java.util.List;
import java.util.function.Function;

/**
 * Text columns never narrower than their header and a typical value: a column the table squeezes shows "…" instead
 * of its figures, and a table that does not fit scrolls sideways instead.
 */
public final class TableColumns {
    /** Cell padding and the header's sort arrow room. */
    private static final double PADDING = 28;

    private TableColumns() { }

    /**
     * A read-only text column at least as wide as {@code title} (bold, as headers are drawn) and {@code widest} (a
     * value as wide as the column's widest).
     */
    public static <S> TableColumn<S, String> text(String title, Function<S, String> value, String widest) {
        TableColumn<S, String> c = new TableColumn<>(title);
        c.setCellValueFactory(r -> new ReadOnlyStringWrapper(r.getValue() == null ? "" : value.apply(r.getValue())));
        double w = Math.max(width(title, true), width(widest, false)) + PADDING;
        c.setMinWidth(w);
        c.setPrefWidth(w);
        c.setSortable(false);
        return c;
    }

    /** Widens {@code column} to its widest value among {@code items} (names known only once a model is loaded). */
    public static <S> void fit(TableColumn<S, String> column, List<S> items, Function<S, String> value) {
        double w = width(column.getText(), true);
        for (S item : items) w = Math.max(w, width(value.apply(item), false));
        column.setMinWidth(w + PADDING);
        column.setPrefWidth(w + PADDING);
    }

    /** The width of {@code s} in the app's 13 px font. */
    public static double width(String s, boolean bold) {
        Text t = new Text(s);
        t.setFont(Font.font(Font.getDefault().getFamily(), bold ? FontWeight.BOLD : FontWeight.NORMAL, 13));
        return Math.ceil(t.getLayoutBounds().getWidth());
    }
}
