package dev.anewb.app.model;

import javafx.event.ActionEvent;
import javafx.scene.Node;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.PasswordField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.VBox;

/**
 * "Set token…": a password field, an explicit consent checkbox, and Save. The token goes only to the standard
 * token file huggingface_hub reads; nothing shows it back (the field starts empty even when a token is set).
 */
final class TokenDialog {
    private TokenDialog() { }

    static void show(Node owner, HubSearchViewModel hub) {
        Dialog<ButtonType> d = new Dialog<>();
        d.setTitle("Hugging Face token");
        if (owner.getScene() != null) d.initOwner(owner.getScene().getWindow());
        PasswordField token = new PasswordField();
        token.setId("tokenField");
        token.setPromptText(hub.tokenPresentProperty().get() ? "a token is set; paste a new one to replace it"
                : "hf_…");
        token.setTooltip(new Tooltip("Create a read token at huggingface.co/settings/tokens"));
        CheckBox consent = new CheckBox("Write this token to " + hub.tokenFile());
        consent.setId("tokenConsent");
        consent.setWrapText(true);
        consent.setTooltip(new Tooltip("The same file `huggingface-cli login` writes; readable only by you"));
        Label problem = new Label();
        problem.getStyleClass().add("conversion-problem");
        problem.setWrapText(true);
        Label why = new Label("Needed only for gated or private models. The token is stored in the standard token file "
                + "and is never displayed again.");
        why.setWrapText(true);
        why.getStyleClass().add("hint");
        VBox box = new VBox(8, why, token, consent, problem);
        box.setPrefWidth(460);
        d.getDialogPane().setContent(box);
        d.getDialogPane().getButtonTypes().addAll(ButtonType.OK, ButtonType.CANCEL);
        Node ok = d.getDialogPane().lookupButton(ButtonType.OK);
        ok.disableProperty().bind(consent.selectedProperty().not().or(token.textProperty().isEmpty()));
        ok.addEventFilter(ActionEvent.ACTION, e -> {
            String p = hub.storeToken(token.getText(), consent.isSelected());
            token.clear();
            if (p != null) {
                problem.setText(p);
                e.consume();
            }
        });
        d.show();
    }
}
