"""Denoising: classical denoisers tuned on validation digits, one evaluation of any denoiser on a
reproducible noisy test set, and the benchmark against denoising autoencoders."""
