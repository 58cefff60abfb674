"""Keras 2's `multi_gpu_model`, on JAX's own data parallelism (`jkeras.distribution.DataParallel`)."""
import jax


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Keras 2: trains `model` with each batch split over several devices.

    jkeras does it with JAX sharding: it sets a `DataParallel` distribution over the devices
    (weights replicated, batches split) and returns `model` itself, so saving it or the result
    is the same. The distribution stays set for models built afterwards.

    Args:
        model: the model.
        gpus: the number of devices (>= 2), or a list of device indices.
        cpu_merge, cpu_relocation: accepted for Keras 2 compatibility (XLA places the merge).

    Returns:
        `model`.

    Raises:
        ValueError: for fewer than 2 devices asked, or more than this machine has.
    """
    del cpu_merge, cpu_relocation
    from jkeras import distribution

    available = jax.devices()
    indices = list(range(gpus)) if isinstance(gpus, int) else list(gpus or [])
    if len(indices) < 2:
        raise ValueError(f"multi_gpu_model: for multi-device use, pass gpus >= 2 (or a list of 2 or more device "
                         f"indices); received gpus={gpus!r}")
    if max(indices) >= len(available):
        raise ValueError(f"multi_gpu_model: gpus={gpus!r} asks for {len(indices)} devices, but this machine has "
                         f"{len(available)}: {[str(d) for d in available]}. Try reducing gpus.")
    distribution.set_distribution(distribution.DataParallel(devices=[available[i] for i in indices]))
    return model
