import numpy as np

from tests.heldout import Heldout


def viterbi_greedy_states(log_init, log_trans, log_emit, obs):
    obs = list(obs)
    s = int(np.argmax(log_init + log_emit[:, obs[0]]))
    path, score = [s], float(log_init[s] + log_emit[s, obs[0]])
    for o in obs[1:]:
        cand = log_trans[s] + log_emit[:, o]                    # best next state given the current one only
        s = int(np.argmax(cand))
        path.append(s)
        score += float(cand[s])
    return path, score


def beam_search_width_one(log_init, log_trans, length, beam):
    seq = [int(np.argmax(log_init))]
    lp = float(log_init[seq[0]])
    for _ in range(length - 1):
        nxt = int(np.argmax(log_trans[seq[-1]]))                # always the single best continuation
        lp += float(log_trans[seq[-1], nxt])
        seq.append(nxt)
    return seq, lp


def viterbi_forward_sum(log_init, log_trans, log_emit, obs):
    obs = list(obs)
    delta = log_init + log_emit[:, obs[0]]
    back = []
    for o in obs[1:]:
        sc = delta[:, None] + log_trans
        back.append(sc.argmax(0))
        m = sc.max(0)
        delta = m + np.log(np.exp(sc - m).sum(0)) + log_emit[:, o]   # logsumexp where max belongs
    s = int(delta.argmax())
    path = [s]
    for bp in reversed(back):
        s = int(bp[s])
        path.append(s)
    return path[::-1], float(delta.max())


HELDOUT = [
    Heldout("decode.viterbi", "greedy state by state", viterbi_greedy_states, "decode.viterbi:viterbi_greedy"),
    Heldout("decode.beam_search", "width 1 whatever beam", beam_search_width_one, "decode.beam_search:beam_greedy"),
    Heldout("decode.viterbi", "logsumexp recursion", viterbi_forward_sum, "decode.viterbi:viterbi_logsumexp"),
]
