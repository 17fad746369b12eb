"""The RQ worker: builds the services, preloads the model and vectors, then runs the work loop.

Each job runs in a forked work horse; `after_fork` gives it its own connections while it keeps
the model and vectors loaded by the parent.
"""
from __future__ import annotations

import logging
from typing import Any

from rq import Worker

from service.container import Services, current_services, set_current_services
from service.queue import QUEUE_NAME, connect


class MaillonWorker(Worker):
    def main_work_horse(self, job: Any, queue: Any) -> Any:
        current_services().after_fork()  # in the horse, before the job runs
        return super().main_work_horse(job, queue)


def run_worker(services: Services, burst: bool = False, preload: bool = True) -> bool:
    """Blocks until stopped (or until the queue is empty with `burst`)."""
    if preload:
        services.warm()  # once in the parent; forked work horses share it
    set_current_services(services)
    connection = connect(services.redis_url())
    worker = MaillonWorker([QUEUE_NAME], connection=connection)
    logging.getLogger(__name__).info("worker %s listening on %s", worker.name, QUEUE_NAME)
    return worker.work(burst=burst, with_scheduler=True)  # runs follow-ups scheduled with enqueue_in
