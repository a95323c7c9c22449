"""Training on an existing Dask cluster: each model is one task.

The workers need only the same requirements and the data package, no shared filesystem: a task
loads the dataset on its worker, checks its checksum against the client's, trains, and returns
the run (state dicts and history) to the client, which stores it (aelib.jobs.plan.run_plan). A worker
that dies mid-task is rescheduled by the scheduler on another worker (up to its
`distributed.scheduler.allowed-failures`, 3 by default, then KilledWorker); an exception inside a
task is retried `retries` times. Either way nothing is written until a whole run is back.

Start a cluster by hand with `dask scheduler` and `dask worker tcp://HOST:8786 --nthreads 1` on
each machine; dask-jobqueue (Slurm, PBS, ...) and dask-kubernetes start the same processes for you.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import lru_cache

from distributed import Client, as_completed, get_worker

from aelib.jobs.plan import Job, OnEpoch, Plan, load_data
from aelib.jobs.worker import prepare, train_job
from aelib.runs import CODE_VERSIONS
from aelib.train import Run


@lru_cache(maxsize=2)
def _worker_data(name: str, root: str):
    """One load per worker process and dataset, shared by the tasks that follow."""
    return load_data(name, root)


def train_task(job: Job, data_sha256: str, index: int, topic: str | None = None, data_root: str | None = None,
               threads: int | None = None, code_versions: dict | None = None, at_once: int = 1) -> Run:
    """One training on a Dask worker. Everything it needs travels in its arguments; per-epoch
    progress goes to the client as events on `topic` ({"index": index, "epoch": epochs done}).
    `code_versions`: the client's runs.CODE_VERSIONS; a worker whose models or training loop are
    of another version refuses, since its weights would be stored under the client's keys."""
    worker = get_worker()
    if code_versions is not None and code_versions != CODE_VERSIONS:
        raise RuntimeError(f"worker {worker.address} runs aelib with code versions {CODE_VERSIONS}, the client "
                           f"{code_versions}: install the same aelib on the workers")
    data = _worker_data(job.config.dataset, data_root or worker.local_directory)
    if data.sha256 != data_sha256:
        raise RuntimeError(f"worker {worker.address} has {job.config.dataset} with sha256 {data.sha256}, the client "
                           f"{data_sha256}: the run would be stored under the wrong key; install the same data package")
    prepare(threads)

    def report(epoch: int, history=None) -> None:
        if topic is not None:
            worker.log_event(topic, {"index": index, "epoch": epoch})

    report(0)
    return train_job(job, data, on_epoch=report, at_once=at_once)


class DaskExecutor:
    """Trains each job of a plan as one task on the Dask scheduler at `address`.

    `data_root`: a folder on each worker under which it keeps the dataset (<data_root>/datasets,
    converted there on first use; default: the worker's own local directory, which goes with it). `threads`: torch threads per training (default: what the worker process
    has; Dask's nanny sets OMP_NUM_THREADS=1, so give the workers `--nthreads 1` and this the
    cores per worker). `task`: the function each task runs, with train_task's signature."""

    def __init__(self, address: str, retries: int = 1, data_root: str | None = None, threads: int | None = None,
                 task=train_task, timeout: float = 30):
        self.client = Client(address, timeout=timeout, set_as_default=False)
        self.retries, self.data_root, self.threads, self.task = retries, data_root, threads, task

    def describe(self) -> str:
        return f"{self.slots} worker threads of the Dask cluster at {self.client.scheduler.address}"

    @property
    def slots(self) -> int:
        return max(sum(self.client.nthreads().values()), 1)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        topic = f"aelib-progress-{uuid.uuid4().hex}"  # one per run: two clients' events never mix
        self.client.subscribe_topic(topic, lambda event: on_epoch(event[1]["index"], event[1]["epoch"]))
        index = {}
        slots = self.slots
        for i, job in enumerate(plan.todo):  # plan.todo is longest first: so is the cluster's order
            fut = self.client.submit(self.task, job, plan.sha256(job), i, topic, self.data_root, self.threads,
                                     dict(CODE_VERSIONS), slots,
                                     key=f"train-{plan.path(job).stem}-{uuid.uuid4().hex[:8]}",
                                     retries=self.retries, priority=len(plan.todo) - i, pure=False)
            index[fut.key] = (i, fut)
        try:
            for fut in as_completed([f for _, f in index.values()], loop=self.client.loop):
                i = index.pop(fut.key)[0]
                try:
                    result = fut.result()
                except Exception as e:  # noqa: BLE001 (run_plan names the config; the others go on)
                    result = e
                fut.release()
                yield i, result
        finally:
            self.client.cancel([f for _, f in index.values()])  # interrupted: stop what is left
            self.client.unsubscribe_topic(topic)
