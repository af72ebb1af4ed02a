package dev.anewb.app.jobs;

import atlantafx.base.controls.Notification;
import atlantafx.base.theme.Styles;
import dev.anewb.app.ui.Icons;
import javafx.scene.control.Button;
import javafx.scene.control.TextArea;
import javafx.scene.layout.VBox;

/**
 * A failed job as a notification card: "TITLE failed: message", a close button, and a details expander with
 * the full error for bug reports. The window stays usable behind it.
 */
public final class JobFailureNotice extends VBox {
    private final TextArea details = new TextArea();
    private final Button detailsButton = new Button("Show details");

    public JobFailureNotice(JobFailure failure, Runnable onDismiss) {
        getStyleClass().add("job-failure");
        Notification note =
                new Notification(failure.title() + " failed: " + failure.message(), Icons.icon(Icons.ALERT, 18));
        note.getStyleClass().addAll(Styles.DANGER, Styles.ELEVATED_2);
        note.setOnClose(e -> onDismiss.run());
        note.setMaxWidth(Double.MAX_VALUE);
        detailsButton.getStyleClass().add("job-failure-details-toggle");
        detailsButton.setOnAction(e -> setDetailsShown(!details.isVisible()));
        note.setPrimaryActions(detailsButton);
        details.setText(failure.details());
        details.setEditable(false);
        details.setWrapText(false);
        details.setPrefRowCount(10);
        // Long stack lines scroll sideways instead of widening the card past the notification.
        details.setPrefColumnCount(20);
        details.getStyleClass().add("job-failure-details");
        setDetailsShown(false);
        getChildren().addAll(note, details);
    }

    public boolean isDetailsShown() { return details.isVisible(); }

    private void setDetailsShown(boolean show) {
        details.setVisible(show);
        details.setManaged(show);
        detailsButton.setText(show ? "Hide details" : "Show details");
    }
}
