"""Seeded synthetic queue histories with injected anomalies, for backtests and the report.

Each series is a `timestamp,completions,ready` CSV at one-minute steps, five weeks long (so the
weekly baseline is in effect for the last two), with a known anomaly window or none. Counts are
Poisson draws from a rate with a daily and weekly shape; bursty series draw bursts instead.
Run as a script to write them all: python3 bench/synthetic_series.py OUTDIR
"""
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

START = datetime(2024, 4, 1, tzinfo=timezone.utc)  # a Monday
STEP = timedelta(minutes=1)
WEEKS = 5


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 50:  # normal approximation keeps big rates fast
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    l, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= l:
            return k
        k += 1


def shape(t, weekend_factor=0.5, night=0.2):
    """Relative load: a daytime plateau (08-20 UTC), quieter nights and weekends."""
    day = 1.0 if 8 <= t.hour < 20 else night
    return day * (weekend_factor if t.weekday() >= 5 else 1.0)


class Series:
    def __init__(self, name, seed, per_minute, anomaly=None, bursty=False, night=0.2,
                 weekend=0.5):
        self.name, self.seed, self.per_minute = name, seed, per_minute
        self.anomaly, self.bursty, self.night, self.weekend = anomaly, bursty, night, weekend
        self.windows = []
        if anomaly:
            kind, start, hours, factor = anomaly
            a = START + timedelta(days=start)
            # Detection may lag the start by the rule's window and `for`: allow two hours after.
            self.windows = [(a, a + timedelta(hours=hours + 2))]

    def rows(self):
        rng = random.Random(self.seed)
        t, end = START, START + timedelta(weeks=WEEKS)
        ready = 0
        while t < end:
            rate = self.per_minute * shape(t, self.weekend, self.night)
            factor = 1.0
            if self.anomaly:
                kind, start, hours, f = self.anomaly
                a = START + timedelta(days=start)
                if a <= t < a + timedelta(hours=hours):
                    factor = f
            if self.bursty:
                # Bursts of 10-30 jobs arrive at random, `rate` jobs a minute on average.
                done = sum(rng.randint(10, 30) for _ in range(poisson(rng, rate / 20)))
            else:
                done = poisson(rng, rate)
            arrived = done
            done = int(done * factor) if factor < 1 else done
            # Jobs that could not complete wait: the backlog shows the stall to the rules.
            ready = ready + arrived - done if factor < 1 else 0
            yield t, done, ready
            t += STEP

    def write(self, path):
        with open(path, "w") as f:
            f.write("timestamp,completions,ready\n")
            for t, done, ready in self.rows():
                # A row holds the minute that ends at its timestamp, as a probe round reports
                # the completions since the previous round.
                end = t + STEP
                f.write(f"{end.strftime('%Y-%m-%dT%H:%M:%SZ')},{done},{ready}\n")


def catalogue():
    """The series the report and the tests use: stalls and drops at high and low volume,
    bursty traffic, and healthy series that must stay quiet."""
    return [
        Series("synthetic_high_healthy", 1, 600),
        Series("synthetic_high_stall", 2, 600, anomaly=("stall", 30.4, 0.5, 0.0)),
        Series("synthetic_high_drop", 3, 600, anomaly=("drop", 31.4, 3, 0.4)),
        Series("synthetic_low_healthy", 4, 1),
        Series("synthetic_low_stall", 5, 1, anomaly=("stall", 29.45, 2, 0.0)),
        Series("synthetic_low_drop", 6, 2, anomaly=("drop", 32.5, 4, 0.3)),
        Series("synthetic_bursty_healthy", 7, 0.5, bursty=True),
        Series("synthetic_bursty_stall", 8, 0.5, bursty=True, anomaly=("stall", 31.4, 12, 0.0)),
        Series("synthetic_idle_nights", 9, 5, night=0.0, weekend=0.0),
    ]


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for s in catalogue():
        s.write(os.path.join(out, s.name + ".csv"))
        print(os.path.join(out, s.name + ".csv"))
