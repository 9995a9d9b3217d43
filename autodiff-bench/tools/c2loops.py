"""Shows the inner loops C2 compiled for a method, to check a kernel for spills and boxing.

Run the JVM with
    -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,dev.autodiff.kernel.VectorGemm::kernel
and save its output to a file. This machine's hsdis prints machine code as hex, so this script
disassembles the hex with objdump (binutils) and reports each backward jump's loop that contains FMAs:
its length, the stack references (rsp: spills) and register-to-register vector moves. An allocation
inside a loop (a TLAB bump: "cmp r, QWORD PTR [r15+...]" followed by header stores) means C2 boxed a
vector; print the loop with -v to see it.

    python3 autodiff-bench/tools/c2loops.py OUTPUT_FILE 'VectorGemm::kernel' [-v]
"""
import re
import subprocess
import sys
import tempfile


def compiled_methods(lines, name):
    """(header, machine code bytes, address of the first byte) of every C2 compilation of the method."""
    starts = [i for i, l in enumerate(lines) if l.startswith("Compiled method (c2)") and name in l]
    for s in starts:
        end = next((j for j in range(s + 1, len(lines)) if lines[j].startswith("Compiled method")), len(lines))
        code, base = bytearray(), None
        for l in lines[s:end]:
            if l.startswith("[Stub Code]") or l.startswith("[Exception Handler]"):
                break
            m = re.match(r"\s+0x([0-9a-f]+): ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$", l)
            if m:
                base = base if base is not None else int(m.group(1), 16)
                code += bytes.fromhex(re.sub(r"[\s|]", "", m.group(2)))
        yield lines[s], bytes(code), base


def instructions(code, base):
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-Mintel", f"--adjust-vma={base}", f.name],
                             capture_output=True, text=True, check=True).stdout
    for l in out.split("\n"):
        m = re.match(r"\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)$", l)
        if m:
            yield int(m.group(1), 16), m.group(2).strip()


def main():
    path, name = sys.argv[1], sys.argv[2]
    verbose = "-v" in sys.argv[3:]
    lines = open(path, errors="replace").read().split("\n")
    for header, code, base in compiled_methods(lines, name):
        print(header[:100])
        ins = list(instructions(code, base))
        for addr, text in ins:
            m = re.match(r"j\w+\s+0x([0-9a-f]+)", text)
            if not m or int(m.group(1), 16) >= addr:
                continue
            body = [t for a, t in ins if int(m.group(1), 16) <= a <= addr]
            fmas = sum("vfmadd" in t for t in body)
            if fmas == 0 or len(body) > 150:
                continue
            spills = sum("rsp" in t for t in body)
            moves = sum(bool(re.match(r"vmov\w+\s+ymm\d+,ymm\d+$", t)) for t in body)
            print(f"  loop of {len(body)} instructions: {fmas} FMAs, {spills} stack references, {moves} vector moves")
            if verbose:
                print("\n".join("      " + t for t in body))


if __name__ == "__main__":
    main()
