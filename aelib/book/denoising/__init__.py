"""The two denoising pages: the book's side of `aelib.denoise`.

- `pages`: the two pages' parameters and trainings;
- `claims`: the verdicts of section 7's claims, as tested functions;
- `findings`: what the two pages conclude, the values glued into their prose, their results JSON;
- `tables`: the pages' tables.
"""
