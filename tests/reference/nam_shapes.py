"""The shapes of NAM's "A2" networks in the trainer's init spelling: plain data, no PyTorch, so a
test module can build its parametrisation from them even where the `nam` extra is not installed
(its tests then skip instead of failing to collect)."""

A2_DILATIONS = [1, 3, 7, 17, 41, 101, 239] * 2 + [1, 13] + [1, 3, 7, 17, 41, 101, 239]
A2_KERNEL_SIZES = [6] * 14 + [15, 15] + [6] * 7  # layers 14 and 15 (from 0) have kernel 15

FILM_POSITIONS = ("conv_pre_film", "conv_post_film", "input_mixin_pre_film", "input_mixin_post_film",
                  "activation_pre_film", "activation_post_film", "layer1x1_post_film", "head1x1_post_film")


def a2_layer_array(channels: int) -> dict:
    """The layer array of NAM's "A2 standard" (nam-a2.md §1: Lite 3 channels, Full 8), in the trainer's
    own init spelling (what ``WaveNet.init_from_config`` takes in ``layers_configs``)."""
    return {"input_size": 1, "condition_size": 1, "channels": channels, "kernel_sizes": list(A2_KERNEL_SIZES),
            "dilations": list(A2_DILATIONS), "activation": {"name": "LeakyReLU", "negative_slope": 0.01},
            "head": {"out_channels": 1, "kernel_size": 16, "bias": True}}
