"""The benchmark script runs end to end (a short run; speed is never asserted)."""

import pytest

from benchmarks import bench_steps


def test_bench_steps_prints_every_case_and_ratio(capsys):
    bench_steps.main(["--rounds", "3"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 6  # header + tiny step, FM 1024, FM 8192, BPR-FM step, BPR-FM init
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7
        float(cells[1])  # raw v1 step (ms)
        assert cells[3].split()[0].replace(".", "").isdigit()  # shim-eager / raw


def _recording_runners(names):
    calls = []
    return calls, {n: (lambda n=n: calls.append(n)) for n in names}


def test_measure_runs_each_pair_in_phases_of_its_own():
    calls, runners = _recording_runners(["shim-graph", "shim-eager", "raw-v1", "native-tf2"])
    samples = bench_steps.measure(runners, rounds=30, steps=2, phase=10, warmup=2)
    assert set(samples) == set(bench_steps.PAIRS)
    for a, b in samples.values():
        assert len(a) == len(b) == 30
    timed = calls[3 * len(runners):]  # after the three warm-up calls of every variant
    # a phase is (warmup + phase) rounds of one pair, each round `steps` calls of a then b
    per_phase = (2 + 10) * 2 * 2
    assert len(timed) == 3 * 3 * per_phase
    for start in range(0, len(timed), per_phase):
        phase = timed[start:start + per_phase]
        assert len(set(phase)) == 2, phase  # only the pair's two variants run in a phase
        firsts = phase[::4]
        assert len(set(firsts)) == 2  # the order alternates round by round


def test_iterator_sized_for_the_variants_in_two_pairs():
    for rounds, steps in ((3, 1), (30, 2), (400, 1), (401, 1)):
        calls, runners = _recording_runners(["shim-graph", "shim-eager", "raw-v1",
                                             "native-tf2"])
        bench_steps.measure(runners, rounds, steps)
        for name in ("raw-v1", "shim-eager"):
            assert calls.count(name) <= bench_steps._batches_needed(rounds, steps)


def test_case_filter(capsys):
    bench_steps.main(["--rounds", "2", "--case", "iterator init"])
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("| ") and "---" not in line]
    assert len(rows) == 2 and "iterator init" in rows[1]
    with pytest.raises(SystemExit):
        bench_steps.main(["--case", "no such case"])
