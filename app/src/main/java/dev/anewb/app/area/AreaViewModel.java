package dev.anewb.app.area;

import dev.anewb.app.jobs.LatestJobScheduler;
import dev.anewb.app.session.Session;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.value.ObservableBooleanValue;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.util.Subscription;

import java.util.ArrayList;
import java.util.List;

/**
 * What every area's view model has: the shared {@link Session} it reads, what the area shows before it has data
 * (its name, what it will hold, what the user has to do first), whether a model is loaded, whether its engine
 * work is running, and the subscriptions it drops on {@link #dispose()}. Each area's own view model extends this
 * and grows its real state next to it.
 */
public abstract class AreaViewModel {
    private final Session session;
    private final ReadOnlyStringWrapper title;
    private final ReadOnlyStringWrapper purpose;
    private final ReadOnlyStringWrapper hint;
    private final ObservableList<String> contents;
    private final ReadOnlyBooleanWrapper modelLoaded = new ReadOnlyBooleanWrapper(this, "modelLoaded");
    private final ReadOnlyBooleanWrapper computing = new ReadOnlyBooleanWrapper(this, "computing");
    private final List<ObservableBooleanValue> work = new ArrayList<>();
    private final BooleanProperty compare = new SimpleBooleanProperty(this, "compare");
    private boolean syncingCompare;
    private Subscription subscriptions;

    protected AreaViewModel(Session session, String title, String purpose, List<String> contents, String hint) {
        this.session = session;
        this.title = new ReadOnlyStringWrapper(title);
        this.purpose = new ReadOnlyStringWrapper(purpose);
        this.hint = new ReadOnlyStringWrapper(hint);
        this.contents = FXCollections.unmodifiableObservableList(FXCollections.observableArrayList(contents));
        subscriptions = session.modelProperty().subscribe(m -> modelLoaded.set(m != null));
        // Every area's Compare switch is the session's one pin: on in one area, on in all.
        keep(session.pinnedProperty().subscribe(p -> {
            syncingCompare = true;
            compare.set(p != null);
            syncingCompare = false;
        }));
        compare.addListener((obs, was, on) -> {
            if (syncingCompare) return;
            if (on) session.pin();
            else session.pinnedProperty().set(null);
        });
    }

    /** The shared state the area reads; views never reach it, they ask their view model. */
    protected final Session session() { return session; }

    /** Keeps {@code subscription} until {@link #dispose()}. */
    protected final void keep(Subscription subscription) { subscriptions = subscriptions.and(subscription); }

    /**
     * A debounced, latest-wins scheduler for this area's engine work, titled {@code jobTitle} in the status bar:
     * it counts as {@link #computingProperty() computing} and is cancelled on {@link #dispose()}.
     */
    protected final <T> LatestJobScheduler<T> scheduler(String jobTitle) {
        LatestJobScheduler<T> scheduler = new LatestJobScheduler<>(session.jobs(), jobTitle);
        countAsComputing(scheduler.computingProperty());
        keep(scheduler::cancel);
        return scheduler;
    }

    /** Counts {@code running} (a generation, a scheduler of a part of the area) as this area computing. */
    protected final void countAsComputing(ObservableBooleanValue running) {
        work.add(running);
        keep(running.subscribe(r -> computing.set(work.stream().anyMatch(ObservableBooleanValue::get))));
    }

    public ReadOnlyStringProperty titleProperty() { return title.getReadOnlyProperty(); }

    /** One paragraph: what this area will show once a model is loaded. */
    public ReadOnlyStringProperty purposeProperty() { return purpose.getReadOnlyProperty(); }

    /** What the user has to do before the area has something to show. */
    public ReadOnlyStringProperty hintProperty() { return hint.getReadOnlyProperty(); }

    /** The parts the area will have, one short line each. */
    public ObservableList<String> contents() { return contents; }

    /** True while a model (or just its config) is loaded: the area shows its content, else its empty state. */
    public ReadOnlyBooleanProperty modelLoadedProperty() { return modelLoaded.getReadOnlyProperty(); }

    /** True while engine work of this area runs (the area's busy indicator). */
    public ReadOnlyBooleanProperty computingProperty() { return computing.getReadOnlyProperty(); }

    /**
     * On: the session's current configuration is pinned and shown beside every later one (the session's pin, shared
     * by every area); off: unpinned.
     */
    public BooleanProperty compareProperty() { return compare; }

    /** Drops the view model's subscriptions and cancels its engine work (the window closed). */
    public void dispose() {
        subscriptions.unsubscribe();
        subscriptions = Subscription.EMPTY;
    }
}
