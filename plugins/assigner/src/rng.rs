//! The run's only source of pseudo-randomness: PCG32 (O'Neill's PCG-XSH-RR 64/32), seeded
//! from `problem.seed`. A dozen lines in-crate rather than a dependency: the sequence must
//! never change under a dependency update, or replays of recorded runs would break.

/// A PCG32 generator.
#[derive(Debug, Clone)]
pub struct Pcg32 {
    state: u64,
    increment: u64,
}

const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
/// The reference implementation's default stream (any odd increment works).
const STREAM: u64 = 1_442_695_040_888_963_407;

impl Pcg32 {
    /// The generator for a seed, initialised as the reference `pcg32_srandom_r` does.
    pub fn new(seed: u64) -> Pcg32 {
        let mut rng = Pcg32 {
            state: 0,
            increment: STREAM | 1,
        };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(seed);
        rng.next_u32();
        rng
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULTIPLIER).wrapping_add(self.increment);
        // The truncations are the algorithm: keep the high bits of the xorshifted state.
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rotation = (old >> 59) as u32;
        xorshifted.rotate_right(rotation)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-and-shift: no division, and the
    /// bias (at most n / 2^32) is irrelevant for choosing moves.
    pub fn below(&mut self, n: usize) -> usize {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // pcg32-global-demo with seed 42, stream 54 prints 0xa15c02b7 0x7b47f409 ...;
        // with the default stream the first outputs are fixed here so that any change to
        // the generator (which would break replays) fails this test.
        let mut reference = Pcg32 {
            state: 0,
            increment: (54 << 1) | 1,
        };
        reference.next_u32();
        reference.state = reference.state.wrapping_add(42);
        reference.next_u32();
        let first: [u32; 3] = core::array::from_fn(|_| reference.next_u32());
        assert_eq!(first, [0xa15c_02b7, 0x7b47_f409, 0xba1d_3330]);
    }

    #[test]
    fn below_stays_in_range_and_is_seeded() {
        let mut a = Pcg32::new(7);
        let mut b = Pcg32::new(7);
        for n in [1usize, 2, 3, 10, 1000] {
            let (x, y) = (a.below(n), b.below(n));
            assert!(x < n);
            assert_eq!(x, y, "same seed, same draws");
        }
        assert_eq!(Pcg32::new(1).below(0), 0);
        assert_ne!(
            Pcg32::new(1).next_u32(),
            Pcg32::new(2).next_u32(),
            "different seeds differ"
        );
    }
}
