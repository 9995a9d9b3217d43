package dev.autodiff.samples;

import dev.autodiff.nn.data.KingJamesBible;
import dev.autodiff.nn.data.Tokenizer;
import dev.autodiff.nn.data.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A text as character ids with the split the character-level samples share: the last 2% held out (for the King
 * James Bible, the end of Revelation and the epistles before it), the rest to train on.
 */
record CharCorpus(Vocabulary vocab, int[] ids, int[] train, int[] heldOut) {
    static CharCorpus of(String text) {
        List<String> chars = Tokenizer.characters().tokenize(text);
        Vocabulary vocab = Vocabulary.of(chars);
        int[] ids = vocab.encode(chars);
        int cut = ids.length - ids.length / 50;
        return new CharCorpus(vocab, ids, Arrays.copyOf(ids, cut), Arrays.copyOfRange(ids, cut, ids.length));
    }

    /** The KJV text of an EC02 file, or null (after saying why) when the file is absent. */
    static CharCorpus kingJamesBible(String sample, String file) throws Exception {
        if (!Files.isRegularFile(Path.of(file))) {
            System.out.println(sample + ": skipped, " + file + " is missing (apt-get install bible-kjv-text)");
            return null;
        }
        return of(KingJamesBible.load(Path.of(file)).text());
    }

    void print() {
        System.out.printf("The King James Bible: %,d characters, %d distinct (log V = %.3f nats, a uniform guess); "
                        + "%,d to train on, %,d held out%n", ids.length, vocab.size(), Math.log(vocab.size()),
                train.length, heldOut.length);
    }
}
