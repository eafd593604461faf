"""``tf.contrib.seq2seq``'s loss and its decoding loop: ``sequence_loss``, the
``Decoder`` interface with ``BasicDecoder`` and ``dynamic_decode``, and the helpers
``TrainingHelper`` (teacher forcing), ``ScheduledEmbeddingTrainingHelper`` /
``ScheduledOutputTrainingHelper`` (scheduled sampling), ``GreedyEmbeddingHelper``,
``SampleEmbeddingHelper`` and ``InferenceHelper`` (inference), ``CustomHelper``;
attention: ``LuongAttention``, ``BahdanauAttention`` (scaled / normalized forms, memory
masking by length), ``AttentionWrapper`` with ``AttentionWrapperState``, ``hardmax`` and
``tile_batch``;
``BeamSearchDecoder`` (length and coverage penalties) with ``gather_tree``; the monotonic
attentions ``BahdanauMonotonicAttention`` / ``LuongMonotonicAttention`` with
``monotonic_attention`` and ``safe_cumprod``.

Written after TF 1.15's documented behaviour. sequence_loss: weights mask or weight the
tokens, and the loss is averaged by the total weight (``average_across_*``) or summed and
divided by the count of non-zero weights (``sum_over_*``), over the batch, the time steps,
both or neither; a zero denominator gives 0. dynamic_decode: variables under the scope
``decoder`` (the cell's and the output layer's, so TF 1.x checkpoints restore),
``initialize()`` once and ``step()`` in a ``while_loop`` until every batch entry is
finished or ``maximum_iterations``; a sequence's length is the step at which it first
finished; with ``impute_finished`` the outputs after that step are zeros and the state is
carried through unchanged; outputs batch major unless ``output_time_major``. Attention:
TF 1.15's variables (``memory_layer/kernel`` where the mechanism is built;
``attention_wrapper/{<cell>, attention_layer, luong_attention/attention_g,
bahdanau_attention/{query_layer/kernel, attention_v, attention_g, attention_b}}`` inside
the decoder), scores masked to -inf past ``memory_sequence_length``, the attention fed
back into the next step's cell input. Beam search: every step scores each beam's
extensions by total log-probability (divided by TF1's length penalty
``((5 + length) / 6) ** weight``, plus the coverage penalty on finished beams), keeps the
top ``beam_width`` per batch entry (best first), finished beams only extend with the end
token, and ``finalize`` follows the parent pointers back (``gather_tree``: ids after a
beam's first end token are the end token), reordering TensorArrays in the cell state
(alignment history) the same way. TF 2.21 has no GatherTree kernel: ``gather_tree`` is
written with TF ops after the kernel's documented behaviour.

Modules: :mod:`.loss`, :mod:`.helpers`, :mod:`.decoder`, :mod:`.attention`,
:mod:`.monotonic`, :mod:`.beam_search` (and :mod:`.common`, shared structure helpers).
"""

from compat.tf1.contrib.seq2seq.attention import (AttentionMechanism, AttentionWrapperState,
                                                  hardmax, tile_batch)
from compat.tf1.contrib.seq2seq.beam_search import (BeamSearchDecoder, BeamSearchDecoderOutput,
                                                    BeamSearchDecoderState,
                                                    FinalBeamSearchDecoderOutput, gather_tree)
from compat.tf1.contrib.seq2seq.decoder import (BasicDecoder, BasicDecoderOutput, Decoder,
                                                dynamic_decode)
from compat.tf1.contrib.seq2seq.helpers import (CustomHelper, GreedyEmbeddingHelper, Helper,
                                                InferenceHelper, SampleEmbeddingHelper,
                                                ScheduledEmbeddingTrainingHelper,
                                                ScheduledOutputTrainingHelper, TrainingHelper)
from compat.tf1.contrib.seq2seq.loss import sequence_loss
from compat.tf1.contrib.seq2seq.monotonic import monotonic_attention, safe_cumprod

__all__ = ["sequence_loss", "Decoder", "BasicDecoder", "BasicDecoderOutput", "dynamic_decode",
           "Helper", "TrainingHelper", "GreedyEmbeddingHelper", "SampleEmbeddingHelper",
           "CustomHelper", "InferenceHelper", "ScheduledEmbeddingTrainingHelper",
           "ScheduledOutputTrainingHelper",
           "AttentionMechanism", "AttentionWrapperState", "hardmax", "tile_batch",
           "BeamSearchDecoder", "BeamSearchDecoderState", "BeamSearchDecoderOutput",
           "FinalBeamSearchDecoderOutput", "gather_tree", "monotonic_attention",
           "safe_cumprod"]
# built on tf-keras's TF1 RNNCell and tf.layers.Dense by attention_classes()
ATTENTION_CLASSES = ("LuongAttention", "BahdanauAttention", "AttentionWrapper",
                     "BahdanauMonotonicAttention", "LuongMonotonicAttention")
