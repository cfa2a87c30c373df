"""Learning-rate schedules (pure functions of the step, so they survive save/load and restarts)."""

import keras


@keras.saving.register_keras_serializable(package="keraslab")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``peak`` over ``warmup_steps``, then linear decay to 0 at ``total_steps``."""

    def __init__(self, peak: float, total_steps: int, warmup_steps: int):
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = max(1, int(warmup_steps))

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        up = self.peak * step / self.warmup_steps
        down = self.peak * keras.ops.maximum(
            0.0, (self.total_steps - step) / max(1, self.total_steps - self.warmup_steps)
        )
        return keras.ops.where(step < self.warmup_steps, up, down)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps}
