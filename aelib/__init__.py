"""aelib: autoencoders for MNIST compression and denoising, the library behind the book.

The core, what the lab report's own sections need: config (validated settings), data (MNIST-format
sets through torchvision), models (the MLP and convolutional autoencoders), train (the loop),
store and runs (everything cached, trained runs keyed on their whole config), metrics, pca,
images, noise, plots, runtime (seeds and devices), bench (training throughput). The sub-packages
a reader can skip: compress (real compression against standard codecs), denoise (the denoising
benchmark), jobs (the planned training job, locally or on a Dask cluster) and book (the pages'
set-up, the judgements of the report's claims, tables, the landing, Performance and live demos).
"""
