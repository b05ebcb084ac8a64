"""xent: the numeric companion of the cross-entropy course.

Everything public is re-exported here; the modules hold the code.
"""

from xent.calibration import (
    ReliabilityCurve,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
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
from xent.softmax import log_softmax, logsumexp, sigmoid, softmax, softmax_jacobian
from xent.special import entr, log_sigmoid, rel_entr, softplus, xlogy

__version__ = "0.1.0"

__all__ = [
    "GradientCheck",
    "LogSumExpState",
    "ReliabilityCurve",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "binary_cross_entropy_with_logits_with_grad",
    "binary_entropy",
    "bits_to_nats",
    "check_gradient",
    "cross_entropy",
    "entr",
    "entropy",
    "entropy_from_logits",
    "expected_calibration_error",
    "fit_temperature",
    "focal_loss",
    "focal_loss_grad",
    "focal_loss_with_grad",
    "chunked_logsumexp",
    "kl_divergence",
    "linear_cross_entropy",
    "linear_cross_entropy_with_grad",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "merge_logsumexp",
    "nats_to_bits",
    "nll_loss",
    "numerical_gradient",
    "perplexity",
    "rel_entr",
    "reliability_curve",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "softmax_cross_entropy_with_grad",
    "softmax_jacobian",
    "softplus",
    "xlogy",
]
