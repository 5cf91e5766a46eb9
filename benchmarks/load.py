"""How many students one server holds: simulated students on the Draw page, without browsers.

    python -m benchmarks.load [--students 30 100 300] [--seconds 20] [--flame FILE]
    python -m benchmarks.load --cluster 3 [--seconds 20]

Each simulated student is its own Streamlit session on its own websocket, replaying what a real
Chromium sent (benchmarks/recordings/draw_page.json, made by `python -m benchmarks.record_draw`)
with real MNIST test digits, a different one each time, as its drawings. The server runs on
core 0 and the students on the other core, as if on separate machines.

It prints, in this order:
- one student drawing back-to-back: the time of an answer with nobody else on the server;
- saturation, 30 students drawing back-to-back: the server's CPU per answer and answers/s
  on one core;
- for each class size, every student drawing every 3 s: latency p50/p95/max from the drawing
  sent to the message carrying the answer received, answers, wrong answers, errors, the
  server's CPU per answer;
- with `--flame FILE`, a py-spy flame graph (SVG) of the server while 30 students draw
  back-to-back once more (py-spy is in the test tools: `pip install -e '.[test]'`);
and ends with the line `server CPU per answer: N ms; one core: M answers/s`.

With `--cluster N` it measures servers behind HAProxy sharing a throwaway PostgreSQL instead
(`digit_studio.cluster`, nothing pinned): answers/s at saturation with one server, then with N
(the ratio), then a class drawing every 3 s while one of the N servers is killed: the errors
its students saw, how long until each answered again (reconnected as a reload would), and
whether every answer saved before the kill is still in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.classroom import cpu_seconds, memory_mb, percentiles
from benchmarks.drawn import mnist_on_canvas
from benchmarks.replay import Recording, Student
from benchmarks.serve import served_app
from mnist_core.data import load_mnist
from mnist_core.samples import SAMPLES_DB_VARIABLE

DRAW_EVERY = 3.0  # seconds between a student's drawings: quick, for a class
OPENING_AT_ONCE = 20  # sessions connecting at the same moment while a class opens the page
ANSWER_TIMEOUT = 30.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # drawing sent to answer received
    wrong: int = 0  # answers other than the digit's MNIST label (the network's own mistakes)
    errors: list[str] = field(default_factory=list)

    def note(self, error: BaseException) -> None:
        self.errors.append(f"{type(error).__name__}: {str(error)[:120]}")


class Drawings:
    """MNIST test digits on the canvas, handed out in turn: every drawing a new one."""

    def __init__(self, count: int = 500) -> None:
        mnist = load_mnist()
        chosen = np.random.default_rng(0).choice(len(mnist.y_test), count, replace=False)
        self.canvases = [mnist_on_canvas(mnist.x_test[i]) for i in chosen]
        self.labels = [str(int(mnist.y_test[i])) for i in chosen]
        self._next = 0

    def take(self) -> tuple[np.ndarray, str]:
        index = self._next % len(self.labels)
        self._next += 1
        return self.canvases[index], self.labels[index]


def process_cpu_seconds(pid: int) -> float:
    """CPU time used so far by process `pid` itself: the server, without the training workers
    it starts."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(pid: int, limit: float = 240.0) -> float:
    """Wait until the server and its workers are idle (a new server times each kind of training
    in the background for a minute or two); the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        time.sleep(3)
        if cpu_seconds(pid) - before < 0.15:  # under 5% of a core
            break
    return time.monotonic() - started


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of process `pid` on `cores` (threads it starts later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), cores)


async def open_students(url: str, recording: Recording, count: int, tally: Tally) -> list[Student]:
    """`count` sessions on the Draw page, opened `OPENING_AT_ONCE` at a time."""
    students: list[Student] = []
    for start in range(0, count, OPENING_AT_ONCE):
        batch = [Student(url, recording) for _ in range(start, min(count, start + OPENING_AT_ONCE))]
        opened = await asyncio.gather(*(s.open() for s in batch), return_exceptions=True)
        for student, result in zip(batch, opened, strict=True):
            if isinstance(result, BaseException):
                tally.note(result)
            else:
                students.append(student)
    return students


async def draw_once(student: Student, drawings: Drawings, tally: Tally) -> bool:
    canvas, label = drawings.take()
    try:
        answer, seconds = await student.draw(canvas, ANSWER_TIMEOUT)
    except Exception as error:  # a timeout or a dropped socket is what this benchmark counts
        tally.note(error)
        return False
    tally.latencies.append(seconds)
    tally.wrong += answer != label
    return True


async def keep_drawing(
    student: Student, drawings: Drawings, tally: Tally, until: float, every: float
) -> None:
    """Draw every `every` seconds (0: as soon as the last answer is in) until the clock says
    stop; a student whose answer is late draws the next digit once it is in."""
    await asyncio.sleep(random.uniform(0, every))  # a class does not draw in step
    while time.monotonic() < until:
        started = time.monotonic()
        if not await draw_once(student, drawings, tally):
            return
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))


@dataclass(frozen=True)
class Phase:
    tally: Tally
    seconds: float
    server_cpu: float

    @property
    def answers(self) -> int:
        return len(self.tally.latencies)

    @property
    def cpu_ms_per_answer(self) -> float:
        return 1000 * self.server_cpu / max(1, self.answers)

    @property
    def answers_per_second(self) -> float:
        return self.answers / self.seconds


async def phase(
    students: list[Student], drawings: Drawings, seconds: float, every: float, pids: list[int]
) -> Phase:
    """Everyone draws for `seconds`; what the servers (`pids`) spent meanwhile, together."""
    cpu = sum(process_cpu_seconds(pid) for pid in pids)
    started = time.monotonic()
    tally = Tally()
    until = started + seconds
    await asyncio.gather(*(keep_drawing(s, drawings, tally, until, every) for s in students))
    spent = sum(process_cpu_seconds(pid) for pid in pids) - cpu
    return Phase(tally, time.monotonic() - started, spent)


def describe(title: str, result: Phase) -> None:
    tally = result.tally
    print(f"\n{title}: {result.answers} answers in {result.seconds:.0f} s")
    print(f"  drawing sent to answer received: {percentiles(tally.latencies)}")
    print(f"  server CPU per answer {result.cpu_ms_per_answer:.1f} ms; "
          f"{result.answers_per_second:.1f} answers/s")  # fmt: skip
    print(f"  answers other than the MNIST label: {tally.wrong} of {result.answers}")
    print(f"  errors: {len(tally.errors)} {tally.errors[:3]}")


@contextlib.contextmanager
def flame_graph(pid: int, seconds: float, path: Path | None):
    """py-spy sampling the server for `seconds` into an SVG flame graph at `path` (or nothing)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if path is None or not Path(spy).exists():
        if path is not None:
            print("(no flame graph: py-spy is not installed; pip install py-spy)")
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
               "--nonblocking", "--format", "flamegraph", "--output", str(path)]  # fmt: skip
    spying = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        _, error = spying.communicate(timeout=seconds + 60)
        print(f"  flame graph of the server: {path}" if spying.returncode == 0 else
              f"  (py-spy failed: {error.decode()[-200:]})")  # fmt: skip


async def measure(url: str, pid: int, sizes: list[int], seconds: float, flame: Path | None) -> None:
    recording = Recording.load_from()
    drawings = Drawings()
    opening = Tally()
    first = await open_students(url, recording, 1, opening)
    if not first:
        raise SystemExit(f"could not open the Draw page: {opening.errors}")
    for _ in range(5):  # warm: the model's first call, the page's first runs
        await draw_once(first[0], drawings, opening)
    waited = await asyncio.to_thread(wait_until_quiet, pid)
    print(f"the server's background timing of trainings done after {waited:.0f} s")
    alone = await phase(first, drawings, seconds, 0.0, [pid])
    describe("one student drawing back-to-back", alone)

    crowd = first + await open_students(url, recording, 29, opening)
    saturated = await phase(crowd, drawings, seconds, 0.0, [pid])
    describe(f"saturation: {len(crowd)} students drawing back-to-back", saturated)

    students = list(crowd)
    for size in sizes:
        started = time.monotonic()
        if len(students) < size:
            students += await open_students(url, recording, size - len(students), opening)
        opened = time.monotonic() - started
        result = await phase(students[:size], drawings, seconds, DRAW_EVERY, [pid])
        describe(f"{size} students drawing every {DRAW_EVERY:g} s "
                 f"(opened in {opened:.1f} s)", result)  # fmt: skip
    if flame is not None:  # apart: a profiler attached costs the server CPU of its own
        print(f"\nprofiling {len(crowd)} students drawing back-to-back (not counted above)")
        with flame_graph(pid, seconds, flame):
            await phase(crowd, drawings, seconds, 0.0, [pid])
    print(f"\nopening errors: {len(opening.errors)} {opening.errors[:3]}")
    print(f"server memory {memory_mb(pid):.0f} MB with {len(students)} sessions")
    for student in students:
        with contextlib.suppress(Exception):
            await student.close()
    print(f"server CPU per answer: {saturated.cpu_ms_per_answer:.0f} ms; "
          f"one core: {saturated.answers_per_second:.0f} answers/s")  # fmt: skip


@dataclass
class Outage:
    """What the students of a killed server went through."""

    failed_at: list[float] = field(default_factory=list)  # when a student's drawing failed
    back_after: list[float] = field(default_factory=list)  # seconds until it answered again
    unanswered: int = 0  # students who never answered again before the end


async def keep_drawing_through(
    student: Student, drawings: Drawings, tally: Tally, until: float, outage: Outage
) -> None:
    """As keep_drawing every 3 s, but a student whose server is gone opens the Draw page again
    (through the proxy, as a reload does) and goes on."""
    await asyncio.sleep(random.uniform(0, DRAW_EVERY))
    failed: float | None = None
    while time.monotonic() < until:
        started = time.monotonic()
        if await draw_once(student, drawings, tally):
            if failed is not None:
                outage.back_after.append(time.monotonic() - failed)
                failed = None
        else:
            if failed is None:
                failed = time.monotonic()
                outage.failed_at.append(failed)
            with contextlib.suppress(Exception):
                await student.close()
            student = Student(student.url, student.recording)
            try:
                await student.open(timeout=10)
            except Exception as error:
                tally.note(error)
            continue
        await asyncio.sleep(max(0.0, DRAW_EVERY - (time.monotonic() - started)))
    outage.unanswered += failed is not None
    with contextlib.suppress(Exception):
        await student.close()


async def saturate(url: str, pids: list[int], seconds: float, drawings: Drawings) -> Phase:
    """30 students drawing back-to-back through `url`, once every server is warm and quiet."""
    recording, opening = Recording.load_from(), Tally()
    students = await open_students(url, recording, 30, opening)
    for student in students:  # each server's first answers load TensorFlow and the model
        await draw_once(student, drawings, opening)
    for pid in pids:
        await asyncio.to_thread(wait_until_quiet, pid)
    result = await phase(students, drawings, seconds, 0.0, pids)
    for student in students:
        with contextlib.suppress(Exception):
            await student.close()
    return result


def measure_cluster(servers: int, seconds: float) -> None:
    from digit_studio.cluster import Cluster
    from digit_studio.postgres_server import TemporaryPostgres
    from mnist_core.samples import open_sample_store

    drawings = Drawings()
    with TemporaryPostgres() as database:
        results = {}
        for count in (1, servers):
            with Cluster(servers=count, port=0, database_url=database.url) as cluster:
                results[count] = asyncio.run(saturate(cluster.url, cluster.pids, seconds, drawings))
                describe(f"{count} server(s) behind HAProxy, 30 students back-to-back",
                         results[count])  # fmt: skip
        ratio = results[servers].answers_per_second / results[1].answers_per_second
        print(f"\ncapacity with {servers} servers: {ratio:.2f}x one server's "
              f"({os.cpu_count()} cores here, students included)")  # fmt: skip

        with Cluster(servers=servers, port=0, database_url=database.url) as cluster:
            store = open_sample_store(database.url)
            tally, outage = Tally(), Outage()

            async def class_with_a_death() -> set[int]:
                students = await open_students(cluster.url, Recording.load_from(), 30, tally)
                for student in students:
                    await draw_once(student, drawings, tally)
                until = time.monotonic() + 2 * seconds
                drawing = asyncio.gather(
                    *(keep_drawing_through(s, drawings, tally, until, outage) for s in students)
                )
                await asyncio.sleep(seconds / 2)
                saved = {answer.id for answer in store.class_answers(with_images=0)}
                cluster.kill(0)
                print(f"\nkilled server 0 of {servers} after {seconds / 2:.0f} s of drawing")
                await drawing
                return saved

            saved = asyncio.run(class_with_a_death())
            kept = {answer.id for answer in store.class_answers(with_images=0)}
            print(f"  answers: {len(tally.latencies)}; p50/p95/max "
                  f"{percentiles(tally.latencies)}")  # fmt: skip
            print(
                f"  students whose drawing failed: {len(outage.failed_at)}; answering again "
                f"after {percentiles(outage.back_after)}; never again: {outage.unanswered}"
            )
            kinds = sorted({error.split(":")[0] for error in tally.errors})
            print(f"  errors: {len(tally.errors)} ({', '.join(kinds) or 'none'})")
            print(f"  answers saved before the kill still in the database: "
                  f"{len(saved & kept)} of {len(saved)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--seconds", type=float, default=20, help="of each phase")
    parser.add_argument("--flame", type=Path, help="write a py-spy flame graph (SVG) here")
    parser.add_argument("--cluster", type=int, metavar="N", help="N servers behind HAProxy")
    args = parser.parse_args()
    if args.cluster:
        measure_cluster(args.cluster, args.seconds)
        return
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two cores: one for the server, one for the students")
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    environment = {SAMPLES_DB_VARIABLE: str(folder / "samples.sqlite3")}
    with served_app(folder / "streamlit.log", environment=environment) as app:
        pin(app.pid, {0})
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
        print(f"server on core 0, students on the others; server log {folder}/streamlit.log")
        asyncio.run(measure(app.url, app.pid, sorted(args.students), args.seconds, args.flame))


if __name__ == "__main__":
    main()
