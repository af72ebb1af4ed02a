package dev.anewb.app;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

/** The window icons exported by icons/build-icons.sh are on the class path, square and of the size their name says. */
class WindowIconsTest {
    @Test void everyWindowIconIsAnImageOfItsNamedSize() throws Exception {
        for (int size : new int[] {16, 32, 48, 64, 128, 256}) {
            String name = "icons/anewb-" + size + ".png";
            try (InputStream in = WorkbenchApp.class.getResourceAsStream(name)) {
                assertNotNull(in, name + " is missing; run icons/build-icons.sh");
                BufferedImage image = ImageIO.read(in);
                assertNotNull(image, name + " is not a PNG");
                assertEquals(size, image.getWidth(), name);
                assertEquals(size, image.getHeight(), name);
            }
        }
    }
}
