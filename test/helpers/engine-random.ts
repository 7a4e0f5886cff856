// Deterministic PRNG (mulberry32) for engine/kernel tests: reproducible random inputs from a seed.
export { seededRandom as rng } from '../../gpu/model/synthetic';
