#!/usr/bin/env python3
"""Golden trajectories for test/golden.test.ts: the new optimizers' rules as PyTorch 2.x and the
Schedule-Free reference implementation define them, in float64, over 100 steps of reproducible
random data. Run: python3 scripts/golden/pytorch.py > test/golden/pytorch.json

Where Debian's PyTorch (1.13) already has the 2.x rule, it runs it (float64 tensors): Adamax,
Adadelta, RMSprop and Adagrad with maximize, RAdam with coupled weight decay. NAdam (1.13's
single-tensor NAdam multiplies the product of mu twice, fixed in 2.0), RAdam's maximize and
decoupled weight decay (2.x only) and Schedule-Free AdamW (facebookresearch/schedule_free,
adamw_schedulefree.py) are written out below in float64 from those rules, operation by operation.
Each case records the final parameters and, per element, the summed length of the float64 steps
(the scale of the tolerance the test applies)."""
import json
import math

import numpy as np
import torch

N, STEPS, SEED = 64, 100, 2024
SCALES = [1e-5, 1e-3, 1e-1, 1.0]


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
    return np.float64(np.float32(x))


def data():
    """θ₀ in [-1, 1); gradients in [-s, s) with s = 1e-5, 1e-3, 0.1, 1 by element, as float32 values."""
    u = mulberry32(SEED)
    theta = np.array([f32(2 * u() - 1) for _ in range(N)])
    grads = [np.array([f32((2 * u() - 1) * SCALES[i % 4]) for i in range(N)]) for _ in range(STEPS)]
    return theta, grads


def run_torch(make, theta, grads):
    p = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    path = np.zeros(N)
    for g in grads:
        before = p.detach().numpy().copy()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        path += np.abs(p.detach().numpy() - before)
    return p.detach().numpy(), path


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3, decoupled=False, maximize=False):
    """torch.optim.NAdam, 2.x single-tensor rule."""
    b1, b2 = betas

    def step(p, g, s, t):
        if maximize:
            g = -g
        if weight_decay != 0:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m, v, prod = s.get('m', np.zeros(N)), s.get('v', np.zeros(N)), s.get('prod', 1.0)
        bc2 = 1 - b2 ** t
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod *= mu
        m = m + (1 - b1) * (g - m)  # lerp
        v = v * b2 + (1 - b2) * g * g
        denom = np.sqrt(v / bc2) + eps
        p = p - lr * (1.0 - mu) / (1.0 - prod) * g / denom
        p = p - lr * mu_next / (1.0 - prod * mu_next) * m / denom
        s.update(m=m, v=v, prod=prod)
        return p

    return step


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, maximize=False):
    """torch.optim.RAdam, 2.x single-tensor rule."""
    b1, b2 = betas

    def step(p, g, s, t):
        if maximize:
            g = -g
        if weight_decay != 0:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m, v = s.get('m', np.zeros(N)), s.get('v', np.zeros(N))
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        mhat = m / bc1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - mhat * lr * (math.sqrt(bc2) / (np.sqrt(v) + eps)) * rect
        else:
            p = p - mhat * lr
        s.update(m=m, v=v)
        return p

    return step


def schedule_free(lr=2.5e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0,
                  maximize=False):
    """AdamWScheduleFree.step of facebookresearch/schedule_free; the parameters hold y."""
    b1, b2 = betas

    def step(y, g, s, t):
        if maximize:
            g = -g
        if 'z' not in s:
            s.update(z=y.copy(), v=np.zeros(N), lr_max=-1.0, weight_sum=0.0)
        k = t - 1
        sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
        lr_t = lr * sched * math.sqrt(1 - b2 ** (k + 1))
        s['lr_max'] = max(lr_t, s['lr_max'])
        weight = ((k + 1) ** r) * (s['lr_max'] ** weight_lr_power)
        s['weight_sum'] += weight
        ckp1 = weight / s['weight_sum'] if s['weight_sum'] != 0 else 0
        s['v'] = s['v'] * b2 + (1 - b2) * g * g
        u = g / (np.sqrt(s['v']) + eps)
        if weight_decay != 0:
            u = u + weight_decay * y
        y = y + ckp1 * (s['z'] - y)
        y = y + lr_t * (b1 * (1 - ckp1) - 1) * u
        s['z'] = s['z'] - lr_t * u
        return y

    return step


def main():
    theta, grads = data()
    T = torch.optim
    cases = [
        ('Adamax', {}, lambda p: T.Adamax(p)),
        ('Adamax', {'lr': 0.01, 'weightDecay': 0.01, 'maximize': True}, lambda p: T.Adamax(p, lr=0.01, weight_decay=0.01, maximize=True)),
        ('Adadelta', {}, lambda p: T.Adadelta(p)),
        ('Adadelta', {'lr': 0.5, 'rho': 0.95, 'weightDecay': 0.01, 'maximize': True},
         lambda p: T.Adadelta(p, lr=0.5, rho=0.95, weight_decay=0.01, maximize=True)),
        ('RAdam', {}, lambda p: T.RAdam(p)),
        ('RAdam', {'lr': 0.01, 'betas': [0.9, 0.9], 'weightDecay': 0.01}, lambda p: T.RAdam(p, lr=0.01, betas=(0.9, 0.9), weight_decay=0.01)),
        ('RMSprop', {'maximize': True, 'centered': True, 'momentum': 0.5},
         lambda p: T.RMSprop(p, maximize=True, centered=True, momentum=0.5)),
        ('Adagrad', {'maximize': True, 'weightDecay': 0.01}, lambda p: T.Adagrad(p, maximize=True, weight_decay=0.01)),
    ]
    rules = [
        ('NAdam', {}, nadam()),
        ('NAdam', {'lr': 0.01, 'weightDecay': 0.01, 'maximize': True}, nadam(lr=0.01, weight_decay=0.01, maximize=True)),
        ('NAdam', {'weightDecay': 0.1, 'decoupledWeightDecay': True, 'momentumDecay': 0.01},
         nadam(weight_decay=0.1, decoupled=True, momentum_decay=0.01)),
        ('RAdam', {'lr': 0.01, 'betas': [0.9, 0.9], 'weightDecay': 0.1, 'decoupledWeightDecay': True, 'maximize': True},
         radam(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled=True, maximize=True)),
        ('ScheduleFreeAdamW', {}, schedule_free()),
        ('ScheduleFreeAdamW', {'lr': 0.01, 'weightDecay': 0.01, 'warmupSteps': 20, 'rPower': 0.5, 'weightLrPower': 1},
         schedule_free(lr=0.01, weight_decay=0.01, warmup_steps=20, r=0.5, weight_lr_power=1.0)),
    ]
    out = []
    for name, options, make in cases:
        p, path = run_torch(make, theta, grads)
        out.append({'name': name, 'options': options, 'source': f'torch {torch.__version__} (float64)', 'theta': p.tolist(), 'path': path.tolist()})
    for name, options, step in rules:
        state = {}
        p = theta.copy()
        path = np.zeros(N)
        for t, g in enumerate(grads, 1):
            before = p.copy()
            p = step(p, g.copy(), state, t)
            path += np.abs(p - before)
        case = {'name': name, 'options': options, 'source': 'PyTorch 2.x rule in float64 (this script)', 'theta': p.tolist(), 'path': path.tolist()}
        if name == 'ScheduleFreeAdamW':
            b1 = 0.9
            x = p + (1 - 1 / b1) * (state['z'] - p)  # eval(): y -> x
            case['source'] = 'facebookresearch/schedule_free AdamWScheduleFree in float64 (this script)'
            case['x'] = x.tolist()
            case['yAgain'] = (x + (1 - b1) * (state['z'] - x)).tolist()  # train(): x -> y
        out.append(case)
    print(json.dumps({'n': N, 'steps': STEPS, 'seed': SEED, 'scales': SCALES, 'cases': out}))


if __name__ == '__main__':
    main()
