import numpy as np
import torch  # forbidden: a policy violation, found before anything runs


def softmax(z):
    return torch.softmax(torch.as_tensor(z), -1).numpy()
