#!/usr/bin/env python3
"""Golden trajectories for test/muon.test.ts: torch.optim.Muon's rule (PyTorch 2.9, torch/optim/_muon.py),
written out in float64 numpy from its definition (Debian's PyTorch 1.13 has no Muon), over 20 steps of
reproducible random data, for matrices wide, tall and square, and both learning-rate adjustments.
Run: python3 scripts/golden/muon.py > test/golden/muon.json

Per step: B <- mu*B + g; U = g + mu*B (nesterov) or B; X = U / (||U||_F + eps), transposed when
rows > cols; ns_steps times A = X X^T, X <- a X + (b A + c A A) X; transposed back to O; theta <-
theta*(1 - lr*wd) - lr'*O with lr' = lr*sqrt(max(1, rows/cols)) ('original') or
0.2*lr*sqrt(max(rows, cols)) ('match_rms_adamw'). PyTorch runs the iteration in bfloat16 on GPUs
for speed; this is its float64 rendering. Each case records the final parameters and, per
element, the summed length of the float64 steps (the scale of the test's tolerance)."""
import json

import numpy as np

STEPS, SEED = 20, 7
CASES = [
    {'shape': [7, 5], 'options': {}},
    {'shape': [5, 7], 'options': {}},
    {'shape': [1, 9], 'options': {}},
    {'shape': [16, 16], 'options': {'nesterov': False}},
    {'shape': [12, 40], 'options': {'adjustLr': 'matchRmsAdamw', 'weightDecay': 0.01}},
    {'shape': [40, 12], 'options': {'adjustLr': 'matchRmsAdamw', 'nsSteps': 3}},
]
DEFAULTS = {'lr': 0.02, 'weightDecay': 0.1, 'momentum': 0.95, 'nesterov': True, 'eps': 1e-7, 'nsSteps': 5,
            'nsCoefficients': [3.4445, -4.775, 2.0315], 'adjustLr': 'original'}


def mulberry32(seed):
    """The same uniform generator as test/helpers.ts (integer arithmetic: identical in both)."""
    a = seed & 0xFFFFFFFF

    def next_():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_


def f32(x):
    return float(np.float32(x))


def data(n, seed):
    """theta in [-1, 1), gradients in [-1, 1), as float32 values, from one generator (test/muon.test.ts repeats it)."""
    u = mulberry32(seed)
    theta = np.array([f32(2 * u() - 1) for _ in range(n)])
    grads = [np.array([f32(2 * u() - 1) for _ in range(n)]) for _ in range(STEPS)]
    return theta, grads


def zeropower(g, steps, coefficients, eps):
    a, b, c = coefficients
    x = g.T if g.shape[0] > g.shape[1] else g
    x = x / (np.linalg.norm(x) + eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if g.shape[0] > g.shape[1] else x


def run(case, seed):
    o = {**DEFAULTS, **case['options']}
    rows, cols = case['shape']
    theta, grads = data(rows * cols, seed)
    p = theta.reshape(rows, cols).copy()
    buf = np.zeros((rows, cols))
    path = np.zeros((rows, cols))
    for g in grads:
        g = g.reshape(rows, cols)
        buf = o['momentum'] * buf + g
        update = g + o['momentum'] * buf if o['nesterov'] else buf
        out = zeropower(update, o['nsSteps'], o['nsCoefficients'], o['eps'])
        if o['adjustLr'] == 'original':
            lr = o['lr'] * np.sqrt(max(1.0, rows / cols))
        else:
            lr = 0.2 * o['lr'] * np.sqrt(max(rows, cols))
        before = p.copy()
        p = p * (1 - o['lr'] * o['weightDecay']) - lr * out
        path += np.abs(p - before)
    return theta.tolist(), p.ravel().tolist(), path.ravel().tolist()


cases = []
for k, case in enumerate(CASES):
    theta, final, path = run(case, SEED + k)
    cases.append({**case, 'seed': SEED + k, 'options': {**{'lr': 0.02}, **case['options']}, 'theta': theta,
                  'final': final, 'path': path})
print(json.dumps({'source': 'torch.optim.Muon (PyTorch 2.9) in float64 numpy, scripts/golden/muon.py',
                  'steps': STEPS, 'cases': cases}))
