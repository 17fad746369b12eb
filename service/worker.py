"""The RQ worker: builds the services, preloads the model, then runs the work loop."""
from __future__ import annotations

import logging

from rq import Worker

from service.container import Services, set_current_services
from service.queue import QUEUE_NAME, connect


def run_worker(services: Services, burst: bool = False, preload: bool = True) -> bool:
    """Blocks until stopped (or until the queue is empty with `burst`)."""
    if preload:
        _ = services.embedder  # load once in the parent; forked work horses share it
    set_current_services(services)
    connection = connect(services.redis_url())
    worker = Worker([QUEUE_NAME], connection=connection)
    logging.getLogger(__name__).info("worker %s listening on %s", worker.name, QUEUE_NAME)
    return worker.work(burst=burst, with_scheduler=True)  # runs follow-ups scheduled with enqueue_in
