"""stable-baselines 2.10.2: PPO2 with an MlpPolicy trained on CartPole-v1 with
TensorBoard logging, then a short A2C run; deterministic evaluation on a seeded env
before and after training, a save/load round trip whose predictions must equal the
trained model's, and the logged training summaries read back (after stable-baselines'
README)."""
import glob
import json
import os
import tempfile

import gym
import numpy as np
import tensorflow as tf
from stable_baselines import A2C, PPO2
from stable_baselines.common.policies import MlpPolicy


def make_env(seed):
    env = gym.make("CartPole-v1")
    env.seed(seed)
    env.action_space.seed(seed)
    return env


def evaluate(model, episodes=10, seed=123):
    env = make_env(seed)
    totals = []
    for _ in range(episodes):
        obs, done, total = env.reset(), False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, done, _ = env.step(action)
            total += reward
        totals.append(total)
    return float(np.mean(totals))


def some_params(model, keys=4, values=5):
    params = model.get_parameters()
    return {name: np.asarray(value).ravel()[:values].tolist()
            for name, value in list(params.items())[:keys]}


def summaries(log_dir, tags=("loss/loss", "input_info/discounted_rewards")):
    values = {tag: [] for tag in tags}
    for event_file in sorted(glob.glob(os.path.join(log_dir, "*", "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(event_file):
            for value in event.summary.value:
                if value.tag in values:
                    values[value.tag].append(float(value.simple_value))
    return values


probe_obs = np.random.RandomState(0).uniform(-0.2, 0.2, (16, 4)).astype(np.float32)
log_dir = tempfile.mkdtemp()
model = PPO2(MlpPolicy, make_env(0), seed=0, n_cpu_tf_sess=1, verbose=0,
             tensorboard_log=log_dir)
reward_before = evaluate(model)
model.learn(total_timesteps=16384)
reward_after = evaluate(model)
actions, _ = model.predict(probe_obs, deterministic=True)
probs = model.action_probability(probe_obs)

path = os.path.join(tempfile.mkdtemp(), "ppo2_cartpole.zip")
model.save(path)
loaded = PPO2.load(path, n_cpu_tf_sess=1)
loaded_actions, _ = loaded.predict(probe_obs, deterministic=True)
loaded_probs = loaded.action_probability(probe_obs)
loaded_equal = bool(np.array_equal(actions, loaded_actions)
                    and np.array_equal(probs, loaded_probs))

a2c = A2C(MlpPolicy, make_env(0), n_steps=5, seed=0, n_cpu_tf_sess=1, verbose=0)
a2c.learn(total_timesteps=1000)
a2c_probs = a2c.action_probability(probe_obs)

with open(os.environ["CORPUS_OUT"], "w") as f:
    json.dump({"reward_before": reward_before, "reward_after": reward_after,
               "params": some_params(model), "probs": probs.tolist(),
               "summaries": summaries(log_dir),
               "loaded_equal": loaded_equal, "a2c_params": some_params(a2c, keys=2),
               "a2c_probs": a2c_probs.tolist()}, f)
