"""python -m service.cli: the service's own commands (serve, worker, match, keys, agenda)."""
from service.cli.main import run

run()
