import numpy as np

W = np.load("weights_i_forgot_to_submit.npy")
