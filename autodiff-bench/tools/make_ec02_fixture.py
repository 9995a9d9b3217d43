#!/usr/bin/python3
"""Writes the small EC02 file that KingJamesBibleTest decodes, compressed by an independent encoder.

The "EC02 Compressed Data File" of the bible program (Debian's bible-kjv-text): a 92-byte header ("EC", "02",
80 bytes of description, big-endian window size and window count), a table of window-count + 1 big-endian file
offsets (the last one the file's length), compress(1)'s 3-byte header, then each window's text compressed as an
LZW stream of its own. Here each window is compressed by Debian's compress (package ncompress) with a 10-bit
maximum code width, so that the table fills, compress clears it on its own, and every width from 9 to 10 occurs,
which the real file (16-bit streams of 64 KiB windows) never reaches. The
words change in the second and fourth books, so that the ratio drops and compress clears its table mid-window
(the real file clears only at each window's end). The text is a title line and verse lines
of seeded random words.

Run (apt-get install ncompress):
    /usr/bin/python3 autodiff-bench/tools/make_ec02_fixture.py autodiff-nn/src/test/resources/fixtures
It writes tiny.bible.data and tiny.bible.txt (the text it compressed).
"""
import random
import struct
import subprocess
import sys

WINDOW = 32768
BITS = 10


def text():
    rnd = random.Random(20240515)
    words = ["and", "the", "of", "lord", "god", "said", "unto", "king", "water", "son", "day", "israel",
             "behold", "thee", "thou", "hath", "shall", "land", "people", "house", "Jerusalem", "David"]
    others = ["wherefore", "nevertheless", "Babylon", "Nebuchadnezzar", "firmament", "tabernacle", "Philistines",
              "sanctuary", "trumpets", "multitude", "Egyptians", "iniquity", "righteousness", "Zebulun"]
    lines = ["Tiny Bible, for tests.  Textfile 000000."]
    for book in ["Ge", "Exo", "1Sm", "Rev"]:
        # a new vocabulary in Exo and Rev makes the compression ratio drop, so compress clears its full table
        pool = others if book in ("Exo", "Rev") else words
        for chapter in range(1, 12):
            for verse in range(1, 1 + rnd.randint(5, 12)):
                n = rnd.randint(4, 30)
                body = " ".join(rnd.choice(pool) for _ in range(n))
                body = body[0].upper() + body[1:] + rnd.choice([".", ":", ";", "?"])
                lines.append(f"{book}{chapter}:{verse} {body}")
    return ("\n".join(lines) + "\n").encode("ascii")


def compress(chunk):
    out = subprocess.run(["compress", "-c", "-b", str(BITS)], input=chunk, stdout=subprocess.PIPE,
                         check=False).stdout  # exit 2 means "no saving", the output is still written
    assert out[:2] == b"\x1f\x9d" and out[2] == 0x80 | BITS, out[:3]
    return out


def main(folder):
    data = text()
    windows = [data[i:i + WINDOW] for i in range(0, len(data), WINDOW)]
    streams = [compress(w) for w in windows]
    header = b"EC02" + b"Compressed Data File".ljust(80, b"\0") + struct.pack(">ii", WINDOW, len(windows))
    offset = len(header) + 4 * (len(windows) + 1) + 3
    table = []
    for s in streams:
        table.append(offset)
        offset += len(s) - 3
    table.append(offset)
    body = header + struct.pack(">%di" % len(table), *table) + streams[0][:3] + b"".join(s[3:] for s in streams)
    assert len(body) == table[-1]
    with open(f"{folder}/tiny.bible.data", "wb") as f:
        f.write(body)
    with open(f"{folder}/tiny.bible.txt", "wb") as f:
        f.write(data)
    print(len(data), "bytes of text in", len(windows), "windows,", len(body), "bytes compressed")


if __name__ == "__main__":
    main(sys.argv[1])
