import * as tf from '@tensorflow/tfjs-core';

/**
 * tf.variable(initial) shares `initial`'s data and leaves `initial` alive beside it, so disposing the variable
 * alone frees nothing (a smallvgg model left 35 tensors behind, every model `auto` builds to time a step more).
 * The variable takes the data over here: `initial` is disposed and the data lives as long as the variable.
 */
export function ownedVariable<R extends tf.Rank>(initial: tf.Tensor<R>, trainable = true): tf.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
