"""xent: the numeric companion of the cross-entropy course.

Everything public is re-exported here; the modules hold the code.
"""

from xent._rows import get_num_threads, set_num_threads
from xent.calibration import (
    ReliabilityCurve,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)
from xent.contrastive import info_nce_loss, info_nce_loss_grad, info_nce_loss_with_grad
from xent.distillation import (
    distillation_loss,
    distillation_loss_grad,
    distillation_loss_with_grad,
)
from xent.divergences import (
    F_DIVERGENCES,
    chi2_divergence,
    f_divergence,
    hellinger_distance,
    js_divergence,
    total_variation,
)
from xent.gradcheck import GradientCheck, check_gradient, numerical_gradient
from xent.information import (
    binary_entropy,
    bits_to_nats,
    cross_entropy,
    entropy,
    entropy_from_logits,
    kl_divergence,
    nats_to_bits,
    perplexity,
)
from xent.large_vocab import (
    LogSumExpState,
    chunked_logsumexp,
    linear_cross_entropy,
    linear_cross_entropy_with_grad,
    merge_logsumexp,
)
from xent.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    binary_cross_entropy_with_logits_with_grad,
    focal_loss,
    focal_loss_grad,
    focal_loss_with_grad,
    nll_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_cross_entropy_with_grad,
)
from xent.multivariate import conditional_entropy, joint_entropy, mutual_information
from xent.sampling import (
    apply_temperature,
    sample,
    sampling_probs,
    top_k_filter,
    top_p_filter,
)
from xent.softmax import log_softmax, logsumexp, sigmoid, softmax, softmax_jacobian
from xent.special import entr, log_sigmoid, rel_entr, softplus, xlog1py, xlogy

__version__ = "0.1.0"

__all__ = [
    "F_DIVERGENCES",
    "GradientCheck",
    "LogSumExpState",
    "ReliabilityCurve",
    "apply_temperature",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "binary_cross_entropy_with_logits_with_grad",
    "binary_entropy",
    "bits_to_nats",
    "check_gradient",
    "conditional_entropy",
    "chi2_divergence",
    "cross_entropy",
    "distillation_loss",
    "distillation_loss_grad",
    "distillation_loss_with_grad",
    "entr",
    "entropy",
    "entropy_from_logits",
    "expected_calibration_error",
    "f_divergence",
    "fit_temperature",
    "get_num_threads",
    "hellinger_distance",
    "focal_loss",
    "focal_loss_grad",
    "focal_loss_with_grad",
    "js_divergence",
    "chunked_logsumexp",
    "joint_entropy",
    "info_nce_loss",
    "info_nce_loss_grad",
    "info_nce_loss_with_grad",
    "kl_divergence",
    "linear_cross_entropy",
    "linear_cross_entropy_with_grad",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "merge_logsumexp",
    "mutual_information",
    "nats_to_bits",
    "nll_loss",
    "numerical_gradient",
    "perplexity",
    "rel_entr",
    "set_num_threads",
    "reliability_curve",
    "sample",
    "sampling_probs",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "softmax_cross_entropy_with_grad",
    "softmax_jacobian",
    "softplus",
    "top_k_filter",
    "top_p_filter",
    "total_variation",
    "xlog1py",
    "xlogy",
]
