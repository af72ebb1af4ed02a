package dev.anewb.app;

import dev.anewb.AnewbException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 #17: on Linux without GTK 3 the workbench ended with JavaFX's "Unable to load glass GTK library". The
 * message now says what to install (reproduced by hand under Xvfb on Debian 12 without libgtk-3-0).
 */
class GuiCommandTest {
    @Test
    void aMissingGtkSaysWhatToInstall() {
        RuntimeException e = GuiCommand.explain(new RuntimeException("Unable to load glass GTK library."));
        AnewbException a = assertInstanceOf(AnewbException.class, e);
        assertEquals(1, a.getMessage().lines().count());
        assertTrue(a.getMessage().contains("sudo apt install libgtk-3-0 libxtst6 libxxf86vm1 libgl1"), a.getMessage());
        assertTrue(a.getMessage().contains("Unable to load glass GTK library."), a.getMessage());
    }

    @Test
    void noDisplayAndOtherFailures() {
        assertTrue(GuiCommand.explain(new RuntimeException("Unable to open DISPLAY")).getMessage()
                .startsWith("no graphical display"));
        RuntimeException other = new IllegalStateException("something else");
        assertSame(other, GuiCommand.explain(other));
    }
}
