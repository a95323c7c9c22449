"""Compression, beyond the report's float count: a section a reader of the report can skip.

- ratio: the report's ratio in values and in bytes, and when a decoder sent once pays for itself;
- entropy: probability tables and the range coder; rate: the autoencoder trained for rate;
- fileformat: the `.ael` header and its errors; codec: network + step + table -> bytes and back;
- stdcodecs: PNG, WebP, JPEG, JPEG 2000, AVIF, gzip and xz on 28x28 digits;
- rd: rate-distortion points measured from real files; curves: frontiers and comparisons of them;
- defaults, cli: the command line (`python -m aelib`), whose defaults are the codecs the book built.
The two compression pages are `aelib.book.compression`.
"""
