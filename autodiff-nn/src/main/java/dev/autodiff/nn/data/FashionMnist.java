package dev.autodiff.nn.data;

import dev.autodiff.DType;
import dev.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60,000 training and 10,000 test images of 28 x 28 grey pixels in
 * ten classes, from the four IDX files of the original distribution, gzipped or not. By default from the Debian
 * package {@code dataset-fashion-mnist} ({@value #DEBIAN_FOLDER}). Images come as (N, 1, 28, 28) tensors with
 * pixels scaled to [0, 1] (as torchvision's {@code ToTensor}); labels as ints in [0, 10).
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final String DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist";

    /** The class names, by label. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** One split: images (N, 1, 28, 28) in [0, 1] and their labels. */
    public record Split(Tensor images, int[] labels) {
        public int size() {
            return labels.length;
        }
    }

    private final Split train;
    private final Split test;

    private FashionMnist(Split train, Split test) {
        this.train = train;
        this.test = test;
    }

    public Split train() {
        return train;
    }

    public Split test() {
        return test;
    }

    /** Loads from {@value #DEBIAN_FOLDER}. */
    public static FashionMnist load() throws IOException {
        return load(Path.of(DEBIAN_FOLDER));
    }

    /** Loads from {@value #DEBIAN_FOLDER}, the images in {@code dtype}. */
    public static FashionMnist load(DType dtype) throws IOException {
        return load(Path.of(DEBIAN_FOLDER), dtype);
    }

    /** Loads the four files from {@code folder} ({@code train-images-idx3-ubyte[.gz]} and the others). */
    public static FashionMnist load(Path folder) throws IOException {
        return load(folder, DType.FLOAT64);
    }

    /**
     * Loads the four files from {@code folder}, the images in {@code dtype} (in [0, 1]: in float32 each pixel is k / 255
     * rounded once, read without a float64 copy; a float32 data set takes half the memory, 188 MB for the training
     * images, and batches drawn from it are float32, as torchvision's).
     */
    public static FashionMnist load(Path folder, DType dtype) throws IOException {
        Objects.requireNonNull(folder, "FashionMnist.load: folder is null");
        Objects.requireNonNull(dtype, "FashionMnist.load: dtype is null");
        if (!Files.isDirectory(folder)) {
            throw new IOException("FashionMnist.load: " + folder + " is not a folder" + hint(folder,
                    "; it should hold train-images-idx3-ubyte.gz and the three other files of the distribution"));
        }
        return new FashionMnist(split(folder, "train", 60_000, dtype), split(folder, "t10k", 10_000, dtype));
    }

    private static Split split(Path folder, String prefix, int expected, DType dtype) throws IOException {
        Path imageFile = find(folder, prefix + "-images-idx3-ubyte");
        Path labelFile = find(folder, prefix + "-labels-idx1-ubyte");
        Idx.Array labels = Idx.read(labelFile);
        Tensor images = Idx.readTensor(imageFile, 255.0, dtype);
        int[] shape = images.shape();
        if (shape.length != 3 || shape[1] != 28 || shape[2] != 28) {
            throw new IOException(imageFile + ": images of shape " + Arrays.toString(shape) + ", expected (N, 28, 28)");
        }
        if (shape[0] != expected) {
            throw new IOException(imageFile + ": " + shape[0] + " images; Fashion-MNIST's " + prefix + " split has "
                    + expected);
        }
        if (labels.shape().length != 1 || labels.shape()[0] != expected) {
            throw new IOException(labelFile + ": labels of shape " + Arrays.toString(labels.shape()) + " for "
                    + expected + " images");
        }
        int[] y;
        try {
            y = labels.toInts();
        } catch (IllegalArgumentException e) {
            throw new IOException(labelFile + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= CLASSES.size()) {
                throw new IOException(labelFile + ": label " + i + " is " + y[i] + ", outside [0, 10)");
            }
        }
        return new Split(images.reshape(expected, 1, 28, 28), y);
    }

    private static Path find(Path folder, String name) throws IOException {
        for (String candidate : new String[] {name + ".gz", name}) {
            Path p = folder.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException("FashionMnist.load: " + folder + " has neither " + name + ".gz nor " + name
                + hint(folder, ""));
    }

    /** How to install the data when the folder is the Debian package's, else {@code otherwise}. */
    private static String hint(Path folder, String otherwise) {
        return folder.toString().equals(DEBIAN_FOLDER) ? "; on Debian or Ubuntu: apt-get install dataset-fashion-mnist"
                : otherwise;
    }
}
