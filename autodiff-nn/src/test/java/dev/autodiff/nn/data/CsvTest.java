package dev.autodiff.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void numericColumnsAndClassLabels() throws IOException {
        Path p = write("iris.csv", "sepal,petal,species\n5.1, 1.4 ,setosa\n7.0,4.7,versicolor\n\n6.3,6.0e0,\"virginica\"\n4.9,1.4,setosa\n");
        Csv.Table t = Csv.read(p);
        assertEquals(List.of("sepal", "petal", "species"), t.columns());
        assertEquals(4, t.size());
        assertArrayEquals(new double[] {5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4}, t.numeric("sepal", "petal").toArray(), 0);
        assertArrayEquals(new int[] {4, 2}, t.numericExcept("species").shape());
        Csv.Labels y = t.labels("species");
        assertEquals(List.of("setosa", "versicolor", "virginica"), y.classes());
        assertArrayEquals(new int[] {0, 1, 2, 0}, y.values());
        // integer classes keep their order as numbers (10 after 9, not after 1)
        Csv.Labels digits = Csv.read(write("d.csv", "d\n10\n9\n1\n")).labels("d");
        assertEquals(List.of("1", "9", "10"), digits.classes());
        assertArrayEquals(new int[] {2, 1, 0}, digits.values());
        // quoted cells may hold the delimiter and line breaks; other delimiters
        Csv.Table q = Csv.read(write("q.csv", "a;b\n\"x;y\";2\n"), ';');
        assertEquals("x;y", q.cell(0, "a"));
    }

    @Test
    void badFilesAndCellsAreReportedWithFileLineAndColumn() throws IOException {
        Path p = write("bad.csv", "a,b\n1,2\n3,\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Csv.read(p).numeric("a", "b"));
        assertTrue(e.getMessage().contains("bad.csv:3") && e.getMessage().contains("column 'b'")
                && e.getMessage().contains("empty cell"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Csv.read(write("w.csv", "a\nfoo\n")).numeric("a"));
        assertTrue(e.getMessage().contains("'foo', not a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Csv.read(p).numeric("c"));
        assertTrue(e.getMessage().contains("no column 'c'") && e.getMessage().contains("[a, b]"), e.getMessage());
        IOException io = assertThrows(IOException.class, () -> Csv.read(write("r.csv", "a,b\n1,2\n3\n")));
        assertTrue(io.getMessage().contains("r.csv:3") && io.getMessage().contains("1 cells"), io.getMessage());
        io = assertThrows(IOException.class, () -> Csv.read(write("e.csv", "")));
        assertTrue(io.getMessage().contains("empty file"), io.getMessage());
        io = assertThrows(IOException.class, () -> Csv.read(write("h.csv", "a,a\n1,2\n")));
        assertTrue(io.getMessage().contains("appears twice"), io.getMessage());
        io = assertThrows(IOException.class, () -> Csv.read(write("u.csv", "a\n\"open\n")));
        assertTrue(io.getMessage().contains("u.csv") && io.getMessage().contains("not valid CSV"), io.getMessage());
        io = assertThrows(IOException.class, () -> Csv.read(dir.resolve("missing.csv")));
        assertTrue(io.getMessage().contains("missing.csv"), io.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Csv.read(write("f.csv", "a\n1d\n")).numeric("a"));
        assertTrue(e.getMessage().contains("'1d'"), "Java's float suffixes are not CSV numbers: " + e.getMessage());
    }

    @Test
    void quotedLineBreaksByteOrderMarksAndClassSpellings() throws IOException {
        // a quoted cell over two lines: the next bad cell is still reported at its own line (5)
        Path p = write("m.csv", "\uFEFFa,b\n\"two\nlines\",1\nx,2\ny,z");
        Csv.Table t = Csv.read(p);
        assertEquals(List.of("a", "b"), t.columns(), "the byte-order mark is not part of the first name");
        assertEquals("two\nlines", t.cell(0, "a"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.numeric("b"));
        assertTrue(e.getMessage().contains("m.csv:5") && e.getMessage().contains("'z'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Csv.read(write("s.csv", "y\n01\n1\n")).labels("y"));
        assertTrue(e.getMessage().contains("'01' and '1'"), e.getMessage());
    }
}
