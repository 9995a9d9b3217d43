"""Writes transcendentals.txt: points x and the exact f(x) (mpmath, 50 digits) as a double-double, for
TranscendentalsTest's error measure in fractional ulps. Run: python3 gen_transcendentals.py (mpmath 1.x)."""
import random, struct
import mpmath as mp

mp.mp.dps = 50
FUNCS = {
    'EXP': (mp.exp, [(-745.0, 709.7), (-1.0, 1.0), (-0.35, 0.35)]),
    'EXPM1': (mp.expm1, [(-40.0, 709.0), (-2.0, 2.0), (0.3, 0.45), (-1e-5, 1e-5)]),
    'LOG': (mp.log, [(1e-300, 1e300, 'log'), (0.5, 2.0), (0.99, 1.01)]),
    'LOG1P': (mp.log1p, [(-0.999, 3.0), (-1e-5, 1e-5), (1.0, 1e300, 'log')]),
    'TANH': (mp.tanh, [(-25.0, 25.0), (-1.0, 1.0), (-0.2, 0.2)]),
    'SIGMOID': (lambda x: 1 / (1 + mp.exp(-x)), [(-745.0, 40.0), (-10.0, 10.0)]),
    'SOFTPLUS': (lambda x: x if x > 20 else mp.log1p(mp.exp(x)), [(-745.0, 30.0), (-10.0, 10.0)]),
}
PER_RANGE = 300

def hexbits(v):
    return '%016x' % struct.unpack('<Q', struct.pack('<d', v))[0]

rnd = random.Random(13)
with open('transcendentals.txt', 'w') as out:
    out.write('# op x exact_hi exact_lo (IEEE bits in hex); from gen_transcendentals.py\n')
    for op, (f, ranges) in FUNCS.items():
        for r in ranges:
            for _ in range(PER_RANGE):
                if len(r) == 3:
                    x = float(mp.exp(mp.log(r[0]) + (mp.log(r[1]) - mp.log(r[0])) * rnd.random()))
                else:
                    x = r[0] + (r[1] - r[0]) * rnd.random()
                e = f(mp.mpf(x))
                hi = float(e)
                lo = float(e - mp.mpf(hi))
                out.write(f'{op} {hexbits(x)} {hexbits(hi)} {hexbits(lo)}\n')
