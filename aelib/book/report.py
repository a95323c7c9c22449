"""The lab report's own figures (../shared/seed/lab-report.txt), printed beside ours.

These are the report's measurements, quoted so that each page can compare; nothing of ours
is derived from them.
"""

# "Effect of the number of epochs": latent 128, learning rate 1e-4.
EPOCHS = {"epochs": [0, 1, 2, 5, 10, 30],
          "difference": [0.140, 0.073, 0.053, 0.034, 0.029, 0.020],
          "seconds": [1, 7, 14, 33, 64, 191]}

# "Effect of learning rate": 5 epochs, latent 128.
LEARNING_RATE = {"lr": [1e-6, 1e-4, 1e-3, 1e-2, 1e-1],
                 "difference": [0.139, 0.034, 0.022, 0.076, 0.117]}

# "Calculation of the Compression Ratio": 784 / latent.
COMPRESSION_RATIO = {"latent": [512, 128, 16, 1], "ratio": [1.5, 6.1, 49, 784]}

# "Comparing our two models' performance": latent 128.
CONV_VS_LINEAR = {"model": ["linear", "convolutional"], "seconds": [121, 64], "difference": [0.029, 0.013]}
