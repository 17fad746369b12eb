"""The RQ worker: builds the services, preloads the model and vectors, then runs the work loop.

Each job runs in a forked work horse; `after_fork` gives it its own connections while it keeps
the model and vectors loaded by the parent.
"""
from __future__ import annotations

import logging
from typing import Any

from rq import Worker
from rq.job import Job

from service.container import Services, current_services, set_current_services
from service.queue import QUEUE_NAME, connect

# A job's entry in RQ's StartedJobRegistry lives HEARTBEAT_S + GRACE_S past its last heartbeat;
# every live worker cleans the registries every MAINTENANCE_S (and JobQueue.status does too), so a
# job whose worker died is retried (or failed, without retries left) within about 30 s, not the
# 11-14 minutes of RQ's defaults (30 s heartbeats + 60 s grace, 10-minute maintenance).
HEARTBEAT_S = 5
GRACE_S = 15
MAINTENANCE_S = 10
WORKER_TTL_S = 30


class MaillonWorker(Worker):
    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """RQ's rule with a shorter grace than its fixed 60 s."""
        if job.timeout and job.timeout > 0:
            return int(min(job.timeout - working_time, self.job_monitoring_interval)) + GRACE_S
        return self.job_monitoring_interval + GRACE_S

    def main_work_horse(self, job: Any, queue: Any) -> Any:
        current_services().after_fork()  # in the horse, before the job runs
        return super().main_work_horse(job, queue)


def run_worker(services: Services, burst: bool = False, preload: bool = True) -> bool:
    """Blocks until stopped (or until the queue is empty with `burst`)."""
    if preload:
        services.warm()  # once in the parent; forked work horses share it
    set_current_services(services)
    connection = connect(services.redis_url())
    worker = MaillonWorker([QUEUE_NAME], connection=connection, job_monitoring_interval=HEARTBEAT_S,
                           maintenance_interval=MAINTENANCE_S, worker_ttl=WORKER_TTL_S)
    logging.getLogger(__name__).info("worker %s listening on %s", worker.name, QUEUE_NAME)
    return worker.work(burst=burst, with_scheduler=True)  # runs follow-ups scheduled with enqueue_in
