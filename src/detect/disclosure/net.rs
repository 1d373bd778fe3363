//! A small neural network over the text model's hashed grams: one hidden layer of rectified
//! units between the sparse input (2^[`BITS`](super::text::BITS) buckets) and a logistic
//! output.
//!
//! A logistic regression adds up its grams' evidence one by one; it cannot learn that "key"
//! next to "print" means something that neither means alone, nor that a request's words
//! inside a story count for less. The hidden units learn such conjunctions. Trained by
//! mini-batch Adam, lazily on the input rows a batch touches (the input is sparse: a batch
//! touches a few thousand of 65,536 rows), with an L2 penalty on the rows it touches.
//!
//! Deterministic on every platform: the initial weights and the order of examples come from a
//! fixed xorshift generator, every sum is taken in a fixed order with no fused operations,
//! and the one transcendental function, the output's `exp`, is computed here from basic
//! arithmetic rather than by the C library. The same sets give the same bits everywhere.

/// A trained network: `w1[bucket * hidden + j]` is the weight of an input bucket into hidden
/// unit `j`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Net {
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: f32,
}

impl Net {
    pub fn hidden(&self) -> usize {
        self.b1.len()
    }

    /// The output's log-odds for sparse input `x` (sorted or not; buckets past the input are
    /// ignored). `pre` receives the hidden units' inputs.
    fn forward(&self, x: &[(u32, f32)], pre: &mut [f32]) -> f32 {
        let h = self.hidden();
        pre.copy_from_slice(&self.b1);
        for &(b, v) in x {
            let Some(row) = self.w1.get(b as usize * h..(b as usize + 1) * h) else { continue };
            for (p, &w) in pre.iter_mut().zip(row) {
                *p += w * v;
            }
        }
        let mut z = self.b2;
        for (&p, &w) in pre.iter().zip(&self.w2) {
            z += p.max(0.0) * w;
        }
        z
    }

    /// The probability of the positive class for sparse input `x`.
    pub fn probability(&self, x: &[(u32, f32)]) -> f32 {
        if self.b1.is_empty() {
            return sigmoid(f64::from(self.b2)) as f32;
        }
        let mut pre = vec![0.0f32; self.hidden()];
        sigmoid(f64::from(self.forward(x, &mut pre))) as f32
    }
}

/// How [`train`] fits.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub rate: f32,
    /// L2 penalty on the weights, per example.
    pub l2: f32,
    /// Weight of a benign example against a request's 1: false positives cost more.
    pub benign_weight: f32,
    /// Seeds the initial weights and the order of examples.
    pub seed: u64,
}

impl Default for Fit {
    fn default() -> Fit {
        Fit { hidden: 32, epochs: 20, batch: 64, rate: 1e-3, l2: 1e-4, benign_weight: 2.0, seed: 0x9e37_79b9_7f4a_7c15 }
    }
}

/// A xorshift64 generator: fixed, so training is the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[-bound, bound)`.
    fn uniform(&mut self, bound: f32) -> f32 {
        let u = (self.next() >> 40) as f32 / (1u64 << 24) as f32;
        (2.0 * u - 1.0) * bound
    }
}

/// Adam's state for one parameter vector.
struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    fn new(n: usize) -> Adam {
        Adam { m: vec![0.0; n], v: vec![0.0; n] }
    }

    /// One step on `w[range]` with gradient `g[range]` (`l2 * w` added), Adam's moments divided
    /// by the bias corrections `c`.
    fn step(&mut self, w: &mut [f32], g: &[f32], range: std::ops::Range<usize>, rate: f32, l2: f32, c: (f32, f32)) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        for i in range {
            let g = g[i] + l2 * w[i];
            self.m[i] = B1 * self.m[i] + (1.0 - B1) * g;
            self.v[i] = B2 * self.v[i] + (1.0 - B2) * g * g;
            let mh = self.m[i] / c.0;
            let vh = self.v[i] / c.1;
            w[i] -= rate * mh / (vh.sqrt() + 1e-8);
        }
    }
}

/// Fits a network with `inputs` input buckets to `examples` (sparse features, is positive).
pub fn train(inputs: usize, examples: &[(Vec<(u32, f32)>, bool)], fit: Fit) -> Net {
    let h = fit.hidden.max(1);
    let mut rng = Rng(fit.seed | 1);
    let bound1 = (6.0 / (inputs + h) as f32).sqrt();
    let bound2 = (6.0 / (h + 1) as f32).sqrt();
    let mut net = Net {
        w1: (0..inputs * h).map(|_| rng.uniform(bound1)).collect(),
        b1: (0..h).map(|_| rng.uniform(bound1)).collect(),
        w2: (0..h).map(|_| rng.uniform(bound2)).collect(),
        b2: 0.0,
    };
    let mut a1 = Adam::new(inputs * h);
    let mut ab1 = Adam::new(h);
    let mut a2 = Adam::new(h);
    let mut ab2 = Adam::new(1);
    let mut g1 = vec![0.0f32; inputs * h];
    let mut gb1 = vec![0.0f32; h];
    let mut g2 = vec![0.0f32; h];
    let mut touched = vec![false; inputs];
    let mut rows: Vec<usize> = Vec::new();
    let mut ever = vec![false; inputs];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut pre = vec![0.0f32; h];
    let (mut beta1_t, mut beta2_t) = (1.0f32, 1.0f32);
    for _ in 0..fit.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for batch in order.chunks(fit.batch.max(1)) {
            let total: f32 = batch.iter().map(|&i| if examples[i].1 { 1.0 } else { fit.benign_weight }).sum();
            let mut gb2 = 0.0f32;
            for &i in batch {
                let (x, y) = &examples[i];
                let z = net.forward(x, &mut pre);
                let p = sigmoid(f64::from(z)) as f32;
                let c = if *y { 1.0 } else { fit.benign_weight } / total;
                let dz = c * (p - if *y { 1.0 } else { 0.0 });
                gb2 += dz;
                for j in 0..h {
                    if pre[j] > 0.0 {
                        g2[j] += dz * pre[j];
                        pre[j] = dz * net.w2[j];
                    } else {
                        pre[j] = 0.0;
                    }
                    gb1[j] += pre[j];
                }
                for &(b, v) in x {
                    let b = b as usize;
                    if b >= inputs {
                        continue;
                    }
                    if !touched[b] {
                        touched[b] = true;
                        rows.push(b);
                    }
                    for (g, &d) in g1[b * h..(b + 1) * h].iter_mut().zip(&pre) {
                        *g += d * v;
                    }
                }
            }
            // Adam's bias corrections, `1 - β^t`, by running products (not `powi`, whose
            // rounding is the compiler's).
            beta1_t *= 0.9;
            beta2_t *= 0.999;
            let c = (1.0 - beta1_t, 1.0 - beta2_t);
            // The penalty per batch is the per-example penalty times the batch's share.
            let l2 = fit.l2 * batch.len() as f32 / examples.len() as f32;
            rows.sort_unstable();
            for &b in &rows {
                a1.step(&mut net.w1, &g1, b * h..(b + 1) * h, fit.rate, l2, c);
                g1[b * h..(b + 1) * h].iter_mut().for_each(|g| *g = 0.0);
                touched[b] = false;
                ever[b] = true;
            }
            rows.clear();
            ab1.step(&mut net.b1, &gb1, 0..h, fit.rate, 0.0, c);
            a2.step(&mut net.w2, &g2, 0..h, fit.rate, l2, c);
            ab2.step(std::slice::from_mut(&mut net.b2), &[gb2], 0..1, fit.rate, 0.0, c);
            gb1.iter_mut().for_each(|g| *g = 0.0);
            g2.iter_mut().for_each(|g| *g = 0.0);
        }
    }
    // A bucket no example had keeps its random start: zero it, so an unseen gram adds
    // nothing.
    for (b, seen) in ever.iter().enumerate() {
        if !seen {
            net.w1[b * h..(b + 1) * h].iter_mut().for_each(|w| *w = 0.0);
        }
    }
    net
}

/// `1 / (1 + e^-z)` with [`exp`].
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + exp(-z))
    } else {
        let e = exp(z);
        e / (1.0 + e)
    }
}

/// `e^x` for `x <= 0` from basic arithmetic (the same bits on every platform): `x = k ln 2 +
/// r`, `|r| <= ln 2 / 2` (ln 2 in two parts, so that `r` is exact), `e^r` by its Taylor series to the 13th power (error below 1e-16),
/// times `2^k` built from bits.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -700.0 {
        return 0.0;
    }
    if x > 700.0 {
        return f64::INFINITY;
    }
    // ln 2 in two parts (fdlibm's): `k * LN2_HI` is exact for the `k` that occur.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let k = (x / std::f64::consts::LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=13 {
        term = term * r / f64::from(n);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_library() {
        for i in -7000..=7000 {
            let x = f64::from(i) / 10.0;
            let (a, b) = (exp(x), x.exp());
            assert!((a - b).abs() <= 1e-14 * b.max(f64::MIN_POSITIVE), "{x}: {a} vs {b}");
        }
        assert_eq!(exp(-800.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
        assert!(sigmoid(-50.0) > 0.0 && sigmoid(50.0) < 1.0 + 1e-15);
    }

    /// A conjunction a linear model cannot learn: positive when exactly one of two inputs is
    /// on (xor), with a third always on.
    #[test]
    fn learns_xor_and_is_deterministic() {
        let ex: Vec<(Vec<(u32, f32)>, bool)> = vec![
            (vec![(0, 1.0), (3, 1.0)], false),
            (vec![(0, 1.0), (1, 1.0), (3, 1.0)], true),
            (vec![(0, 1.0), (2, 1.0), (3, 1.0)], true),
            (vec![(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)], false),
        ];
        let ex: Vec<_> = ex.iter().cycle().take(64).cloned().collect();
        let fit = Fit { hidden: 8, epochs: 300, batch: 8, rate: 1e-2, l2: 0.0, benign_weight: 1.0, ..Fit::default() };
        let net = train(8, &ex, fit);
        for (x, y) in &ex[..4] {
            assert_eq!(net.probability(x) >= 0.5, *y, "{x:?}");
        }
        assert_eq!(train(8, &ex, fit), net);
        // Buckets no example had weigh nothing.
        assert!(net.w1[5 * 8..].iter().all(|&w| w == 0.0));
    }
}
