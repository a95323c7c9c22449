"""aelib: autoencoders for MNIST compression and denoising, the library behind the book.

Modules: config (validated settings), data (offline MNIST), models (MLP and convolutional
autoencoders), train (the training loop), cache (trained runs keyed on their config), metrics
(difference, MSE, PSNR, SSIM), plots (figures), results (JSON per section), report (the lab
report's figures), runtime (seeds and devices).
"""
