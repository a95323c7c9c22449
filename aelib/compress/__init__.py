"""Real compression: the byte arithmetic of ratios, entropy coding, the rate-aware model, the .ael
file format and codec, standard codecs, and rate-distortion points measured from real bytes."""
