#!/bin/sh
# The numbers KingJamesBibleTest checks the Java EC02 reader against, from the bible program itself (Debian's
# bible-kjv, which reads /usr/lib/bible.data of bible-kjv-text with its own decompressor).
#
# Run (needs bible-kjv-text installed; fetches the bible-kjv package into a temporary folder, installs nothing):
#     sh autodiff-bench/tools/kjv_oracle.sh
# It prints the line count, byte count and SHA-256 of every verse line, "Ge1:1 In the beginning ...", as
# `bible -f Gen1:1-Rev22:21` writes them (the file's text less its title line), and a few verses verbatim.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download bible-kjv >/dev/null 2>&1
dpkg -x bible-kjv_*.deb x
bible="./x/usr/bin/bible -f -p /usr/lib"
$bible Gen1:1-Rev22:21 </dev/null >all.txt
wc -l <all.txt
wc -c <all.txt
sha256sum all.txt | cut -d' ' -f1
$bible Ge1:1 Ge20:6 Isa45:16 1Sm3:4 John3:16 Psa119:176 Rev22:21 </dev/null
