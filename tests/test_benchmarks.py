"""The benchmark script runs end to end (a short run; speed is never asserted)."""

from benchmarks import bench_steps


def test_bench_steps_prints_every_case_and_ratio(capsys):
    bench_steps.main(["--rounds", "3"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 5  # header + FM 1024, FM 8192, BPR-FM step, BPR-FM init
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7
        float(cells[1])  # raw v1 step (ms)
        assert cells[3].split()[0].replace(".", "").isdigit()  # shim-eager / raw
