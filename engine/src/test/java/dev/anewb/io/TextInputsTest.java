package dev.anewb.io;

import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 17 #11: texts cut to the model's positions the way transformers' truncation=True cuts them. */
class TextInputsTest {
    @Test
    void aLongTextIsCutKeepingItsSpecialTokensAndAShortOneIsUntouched() {
        try (HfTokenizer t = HfTokenizer.open(Fixtures.fixture("bert-tiny/tokenizer.json"))) {
            String longText = String.join(" ", Collections.nCopies(600, "word"));
            TextInputs.Fitted f = TextInputs.fitting(t, List.of(longText, "short"), 512);
            assertTrue(f.truncated());
            assertArrayEquals(new int[]{602, 3}, f.lengths());
            assertEquals(512, f.batch().seq());
            long[] cut = f.batch().ids()[0];
            assertEquals(101, cut[0], "[CLS] first");
            assertEquals(102, cut[511], "[SEP] last, as transformers truncates");
            long[] full = t.encode(longText).ids();
            for (int i = 1; i < 511; i++) assertEquals(full[i], cut[i], "token " + i);
            assertEquals(3, f.batch().validTokens(1), "the short text is padded, not cut");

            TextInputs.Fitted fits = TextInputs.fitting(t, List.of("short"), 512);
            assertFalse(fits.truncated());
            assertArrayEquals(TextInputs.batch(t, List.of("short")).ids()[0], fits.batch().ids()[0]);
        }
    }
}
