package dev.anewb.app.area;

import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.List;

/**
 * What every area shows before it has data: its name, what it will hold, and what the user has to do first.
 * Each area's own view model extends this and grows its real state next to it.
 */
public abstract class AreaViewModel {
    private final ReadOnlyStringWrapper title;
    private final ReadOnlyStringWrapper purpose;
    private final ReadOnlyStringWrapper hint;
    private final ObservableList<String> contents;

    protected AreaViewModel(String title, String purpose, List<String> contents, String hint) {
        this.title = new ReadOnlyStringWrapper(title);
        this.purpose = new ReadOnlyStringWrapper(purpose);
        this.hint = new ReadOnlyStringWrapper(hint);
        this.contents = FXCollections.unmodifiableObservableList(FXCollections.observableArrayList(contents));
    }

    public ReadOnlyStringProperty titleProperty() { return title.getReadOnlyProperty(); }

    /** One paragraph: what this area will show once a model is loaded. */
    public ReadOnlyStringProperty purposeProperty() { return purpose.getReadOnlyProperty(); }

    /** What the user has to do before the area has something to show. */
    public ReadOnlyStringProperty hintProperty() { return hint.getReadOnlyProperty(); }

    /** The parts the area will have, one short line each. */
    public ObservableList<String> contents() { return contents; }
}
