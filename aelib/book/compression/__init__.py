"""The two compression pages: the book's side of `aelib.compress`.

- ratio_page: 05_compression_ratio, the report's float-count ratio against bytes;
- real_page, real_prose: 05b_real_compression, our codecs against standard ones in real bytes,
  and the sentences its prose glues in.
"""
