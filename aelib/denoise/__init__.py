"""Denoising, beyond the report's own section: one evaluation of any denoiser on a reproducible
noisy test set, classical denoisers tuned on validation digits, and the benchmark against
denoising autoencoders.

- `scores`: what an evaluation measures (per image, per method, per evaluation) and its intervals;
- `evaluate`: the one evaluation, networks and classical methods alike, kept in the store;
- `classical`: Gaussian, median, total-variation, non-local-means and BM3D denoisers, and their tuning;
- `bench`: the benchmark's networks, its tuning on validation digits and its paired comparisons;
- `conditional`: the denoiser told the noise level.
The noise itself is `aelib.noise`; the two denoising pages (their trainings, verdicts, tables and
prose) are `aelib.book.denoising`.
"""
