// The sampler's error, in a module of its own so the extension host can recreate it (extension/backend/errors.ts)
// without bundling the sampler.

/** The logits the sampler was given hold NaN or infinity: the model's weights (or their decoding) are broken. */
export class NonFiniteLogitsError extends Error {
  constructor() {
    super(
      'The model produced non-finite logits (NaN or infinity), so its output would be garbage. The model file is probably ' +
        'corrupt or holds NaN/infinite weights: download it again, or try another quantization of the model.',
    );
    this.name = 'NonFiniteLogitsError';
  }
}
